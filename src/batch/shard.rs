//! `--shard i/n`: a deterministic 1/n of the calls, chosen by a hash of the call id.
//!
//! The hash is SHA-256 (not std's randomised hasher), so every machine of a job array agrees
//! on which shard owns a call without talking to the others, and adding recordings never
//! moves an existing call to another shard.

use std::fmt;
use std::str::FromStr;

/// Shard `index` of `count` (0-based).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    index: u32,
    count: u32,
}

impl Shard {
    pub fn new(index: u32, count: u32) -> Result<Shard, String> {
        if count == 0 || index >= count {
            return Err(format!("shard {index}/{count}: the index must be below the count (0/2 and 1/2 make two shards)"));
        }
        Ok(Shard { index, count })
    }

    pub fn index(self) -> u32 {
        self.index
    }

    pub fn count(self) -> u32 {
        self.count
    }

    /// Whether this shard owns the call.
    pub fn owns(self, call_id: &str) -> bool {
        let h = crate::fsutil::sha256_bytes(call_id.as_bytes());
        let n = u64::from_str_radix(&h[..16], 16).expect("sha256 hex");
        n % u64::from(self.count) == u64::from(self.index)
    }

    /// The partition's folder name inside the run directory, e.g. `shard-0-of-2`.
    pub fn dir_name(self) -> String {
        format!("shard-{}-of-{}", self.index, self.count)
    }
}

impl FromStr for Shard {
    type Err = String;
    fn from_str(s: &str) -> Result<Shard, String> {
        let (i, n) = s.split_once('/').ok_or_else(|| format!("shard {s:?}: write it as INDEX/COUNT, e.g. 0/4"))?;
        let parse = |v: &str| v.trim().parse::<u32>().map_err(|_| format!("shard {s:?}: {v:?} is not a whole number"));
        Shard::new(parse(i)?, parse(n)?)
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_call_belongs_to_exactly_one_shard_and_shards_are_balanced() {
        let shards: Vec<Shard> = (0..3).map(|i| Shard::new(i, 3).unwrap()).collect();
        let mut sizes = [0; 3];
        for k in 0..3000 {
            let id = format!("c{k:05}");
            let owners: Vec<_> = shards.iter().filter(|s| s.owns(&id)).collect();
            assert_eq!(owners.len(), 1, "{id}");
            sizes[owners[0].index() as usize] += 1;
        }
        assert!(sizes.iter().all(|n| (900..1100).contains(n)), "{sizes:?}");
    }

    #[test]
    fn ownership_is_fixed_by_the_id_alone() {
        // Pinned so that a change of hash (which would move calls between the machines of a
        // running job array) cannot go unnoticed.
        let s = Shard::new(0, 2).unwrap();
        let owned: Vec<bool> = ["c0001", "c0002", "c0003", "c0004", "c0005", "c0006"].iter().map(|c| s.owns(c)).collect();
        assert_eq!(owned, [true, true, false, true, false, true]);
        assert_eq!(Shard::new(0, 1).unwrap().owns("anything"), true);
    }

    #[test]
    fn parsing_accepts_index_slash_count_and_explains_mistakes() {
        assert_eq!("1/4".parse::<Shard>().unwrap(), Shard::new(1, 4).unwrap());
        assert_eq!(Shard::new(1, 4).unwrap().dir_name(), "shard-1-of-4");
        for (bad, says) in [("4/4", "below the count"), ("1", "INDEX/COUNT"), ("a/2", "\"a\""), ("0/0", "below")] {
            let err = bad.parse::<Shard>().unwrap_err();
            assert!(err.contains(says), "{bad}: {err}");
        }
    }
}
