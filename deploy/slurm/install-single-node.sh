#!/bin/bash
# A single-node Slurm "cluster" on this machine, from Debian's packages (bookworm: Slurm 22.05),
# for trying deploy/slurm/callqa-array.sbatch (deploy/slurm/check.sh runs it). Not a production
# setup: one host is controller and compute node, no accounting, no cgroups.
#
#   deploy/slurm/install-single-node.sh          install (apt), configure, start munged,
#                                                slurmctld and slurmd, wait for the node idle
#   deploy/slurm/install-single-node.sh --stop   stop the three daemons (by their pid files)
#
# Run as root. Idempotent: a second run keeps the packages, the munge key and the state, rewrites
# slurm.conf (restarting the Slurm daemons only when it changed) and starts what is not running.
# The daemons are started by hand, not through systemd, so that it works in a container.
set -euo pipefail

CONF=/etc/slurm/slurm.conf
CTLD_PID=/run/slurmctld.pid
SLURMD_PID=/run/slurmd.pid
MUNGE_PID=/run/munge/munged.pid
LOG=/var/log/slurm

alive() { # alive PIDFILE: the process named in PIDFILE runs
    [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null
}

stop() { # stop NAME PIDFILE: SIGTERM, then wait up to 20 s for it to go
    local pid
    alive "$2" || { rm -f "$2"; return 0; }
    pid=$(cat "$2")
    echo "stopping $1 (pid $pid)"
    kill "$pid"
    for _ in $(seq 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then echo "$1 (pid $pid) did not stop" >&2; return 1; fi
    rm -f "$2"
}

if [ "${1:-}" = --stop ]; then
    stop slurmd "$SLURMD_PID"
    stop slurmctld "$CTLD_PID"
    stop munged "$MUNGE_PID"
    exit 0
fi
[ "$(id -u)" -eq 0 ] || { echo "run as root" >&2; exit 2; }

# 1. Packages.
if [ "$(dpkg-query -W -f='${Status}\n' slurmctld slurmd slurm-client munge 2>/dev/null | grep -c 'install ok installed')" -ne 4 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends slurmctld slurmd slurm-client munge >/dev/null
fi

# 2. Munge key (Debian's postinst usually makes one already; never replace an existing key).
if [ ! -s /etc/munge/munge.key ]; then
    mungekey --create --keyfile=/etc/munge/munge.key
fi
chown munge:munge /etc/munge/munge.key
chmod 0400 /etc/munge/munge.key
install -d -o munge -g munge -m 0755 /run/munge
install -d -o munge -g munge -m 0700 /var/lib/munge /var/log/munge

# 3. slurm.conf for this host.
HOST=$(hostname -s)
CPUS=$(nproc)
MEM_MB=$(free -m | awk '/^Mem:/ {print $2}')
MEM_MB=$((MEM_MB * 95 / 100)) # below what slurmd measures, or it drains the node
install -d -o slurm -g slurm -m 0755 /var/lib/slurm/slurmctld /var/lib/slurm/slurmd "$LOG"
NEW=$(mktemp)
cat >"$NEW" <<EOF
# Written by deploy/slurm/install-single-node.sh: one host, controller and compute node.
ClusterName=callqa
SlurmctldHost=$HOST
SlurmUser=slurm
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=/var/lib/slurm/slurmctld
SlurmdSpoolDir=/var/lib/slurm/slurmd
SlurmctldPidFile=$CTLD_PID
SlurmdPidFile=$SLURMD_PID
SlurmctldLogFile=$LOG/slurmctld.log
SlurmdLogFile=$LOG/slurmd.log
# No cgroups: processes are tracked by parentage, tasks are not bound or confined.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
# Look at pending jobs often: a re-queued job may start only two minutes after it was re-queued.
SchedulerParameters=bf_interval=5
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
MailProg=/bin/true
ReturnToService=2
# The node as configured below, even where a container shows another topology.
SlurmdParameters=config_overrides
SlurmdTimeout=60
NodeName=$HOST CPUs=$CPUS RealMemory=$MEM_MB State=UNKNOWN
PartitionName=debug Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
EOF
CHANGED=0
if ! cmp -s "$NEW" "$CONF"; then
    install -m 0644 "$NEW" "$CONF"
    CHANGED=1
    echo "wrote $CONF ($HOST: $CPUS CPUs, $MEM_MB MB)"
fi
rm -f "$NEW"

# 4. Daemons, by hand.
if ! alive "$MUNGE_PID"; then
    echo "starting munged"
    runuser -u munge -- /usr/sbin/munged
fi
for _ in $(seq 50); do munge -n </dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.1; done
munge -n </dev/null | unmunge >/dev/null || { echo "munge does not work" >&2; exit 1; }

if [ "$CHANGED" = 1 ]; then
    stop slurmd "$SLURMD_PID"
    stop slurmctld "$CTLD_PID"
fi
if ! alive "$CTLD_PID"; then
    echo "starting slurmctld (log: $LOG/slurmctld.log)"
    /usr/sbin/slurmctld
fi
if ! alive "$SLURMD_PID"; then
    echo "starting slurmd (log: $LOG/slurmd.log)"
    /usr/sbin/slurmd
fi

# 5. Wait until the node takes jobs. A node left down or drained by an earlier run is resumed.
for i in $(seq 60); do
    state=$(sinfo -h -n "$HOST" -o %T 2>/dev/null | head -1 || true)
    case "$state" in
    idle | mixed | allocated) sinfo; exit 0 ;;
    down* | drain* | drained*) [ "$i" -gt 5 ] && scontrol update NodeName="$HOST" State=RESUME 2>/dev/null || true ;;
    esac
    sleep 1
done
echo "the node is not idle after 60 s (state: ${state:-none}); see $LOG/slurmctld.log and $LOG/slurmd.log" >&2
sinfo -R >&2 || true
exit 1
