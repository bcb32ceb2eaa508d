#!/usr/bin/env bash
# Start a single-node SLURM cluster on this machine (issue 5's cluster test).
#
#   .ci/slurm/start.sh [STATE_DIR]        (default: /tmp/qaccel-slurm)
#
# Everything (configs, munge key and socket, spool, logs, PID files) lives in
# STATE_DIR, so .ci/slurm/stop.sh can stop exactly what was started here. The
# one thing outside it is a symlink /etc/slurm/slurm.conf -> STATE_DIR/slurm.conf:
# the Snakemake jobstep plugin strips SLURM_* variables (SLURM_CONF included)
# before its `srun` inside a job, so clients must find the config at the default
# path. An existing /etc/slurm/slurm.conf that is not such a link is never touched. Idempotent: daemons whose recorded PID is still
# alive are left running. There is no init system, so daemons are started by
# hand; each one writes its own PID file into STATE_DIR.
#
# Job status: no accounting (no slurmdbd/mariadb). The Snakemake plugin is told
# to poll `squeue` instead of `sacct` (profiles/slurm), which is reliable as long
# as finished jobs stay visible to squeue for longer than the plugin's polling
# interval: MinJobAge=300 s, well above the plugin's 3 x 40 s threshold.
# That saves two daemons, a database bootstrap and their start-up time on a
# 2-core CI machine, and leaves nothing that can fail half-initialised.
set -euo pipefail

state_dir=$(realpath -m "${1:-/tmp/qaccel-slurm}")
script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
idle_timeout_s=${QACCEL_SLURM_IDLE_TIMEOUT_S:-60}

started_at_ns=$(date +%s%N)
node=$(hostname)
cpus=$(nproc)
mem_total_mb=$(awk '/^MemTotal:/ {print int($2 / 1024)}' /proc/meminfo)
# slurmd drains a node that reports less memory than configured; keep 5 % slack.
real_memory_mb=$((mem_total_mb * 95 / 100))
# Without a default, a job that names no memory is given the whole node.
def_mem_per_cpu_mb=1024

mkdir -p "$state_dir"/{ctld,spool,log}
chmod 0755 "$state_dir"
export SLURM_CONF="$state_dir/slurm.conf"

cat >"$state_dir/slurm.conf" <<EOF
ClusterName=qaccel-ci
SlurmctldHost=$node
AuthType=auth/munge
AuthInfo=socket=$state_dir/munge.socket
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$state_dir/ctld
SlurmdSpoolDir=$state_dir/spool
SlurmctldPidFile=$state_dir/slurmctld.pid
SlurmdPidFile=$state_dir/slurmd.pid
SlurmctldLogFile=$state_dir/log/slurmctld.log
SlurmdLogFile=$state_dir/log/slurmd.log
# No cgroups on CI containers: track processes by parent PID, no task binding.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
ReturnToService=2
# cons_tres is needed for --gpus; memory is a consumable so jobs share the node.
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=$def_mem_per_cpu_mb
MinJobAge=300
GresTypes=gpu
NodeName=$node CPUs=$cpus RealMemory=$real_memory_mb Gres=gpu:1 State=UNKNOWN
PartitionName=debug Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF

# A fake GPU for scheduling only; without File= slurmd drains the node.
cat >"$state_dir/gres.conf" <<EOF
NodeName=$node Name=gpu File=/dev/null
EOF

default_conf=/etc/slurm/slurm.conf
if [[ -L $default_conf && ! -e $default_conf ]]; then
    rm -f "$default_conf" # left dangling by an earlier cluster's state dir
fi
if [[ ! -e $default_conf ]]; then
    mkdir -p "$(dirname "$default_conf")"
    ln -s "$SLURM_CONF" "$default_conf"
elif [[ $(readlink "$default_conf") != "$SLURM_CONF" ]]; then
    echo "slurm: $default_conf exists and is not a link to $SLURM_CONF; not touching a real installation" >&2
    exit 1
fi

if [[ ! -s $state_dir/munge.key ]]; then
    mungekey --create --keyfile="$state_dir/munge.key"
fi
chmod 0400 "$state_dir/munge.key"

# is_alive, running_pid: the daemons' recorded PIDs under $state_dir.
source "$(dirname "${BASH_SOURCE[0]}")/pids.sh"

dump_logs_and_stop() {
    echo "slurm: $1; logs follow" >&2
    tail -n 20 "$state_dir"/log/*.log >&2 || true
    sinfo -R >&2 || true
    "$script_dir/stop.sh" "$state_dir"
    exit 1
}

# Starts daemon $1 (command: the remaining arguments) unless it is running,
# then waits until it has written its PID file.
start_daemon() {
    local name=$1
    shift
    if pid=$(running_pid "$name"); then
        echo "slurm: $name already running (pid $pid)"
        return
    fi
    rm -f "$state_dir/$name.pid"
    "$@" || dump_logs_and_stop "$name failed to start"
    for _ in $(seq 50); do
        running_pid "$name" >/dev/null && return
        sleep 0.1
    done
    dump_logs_and_stop "$name wrote no PID file"
}

start_daemon munged munged \
    --key-file="$state_dir/munge.key" \
    --socket="$state_dir/munge.socket" \
    --pid-file="$state_dir/munged.pid" \
    --log-file="$state_dir/log/munged.log" \
    --seed-file="$state_dir/munged.seed"
# -c: start with an empty job list, never jobs left over from an earlier run.
start_daemon slurmctld slurmctld -c -f "$SLURM_CONF"
start_daemon slurmd slurmd -f "$SLURM_CONF"

deadline=$(($(date +%s) + idle_timeout_s))
until [[ $(sinfo --noheader --nodes="$node" --format=%T 2>/dev/null) == idle ]]; do
    (($(date +%s) < deadline)) || dump_logs_and_stop "node $node not idle after ${idle_timeout_s}s"
    sleep 0.5
done

elapsed_ms=$((($(date +%s%N) - started_at_ns) / 1000000))
printf 'slurm: node %s idle in %d.%03d s (CPUs=%s RealMemory=%s MB, gpu:1)\n' \
    "$node" $((elapsed_ms / 1000)) $((elapsed_ms % 1000)) "$cpus" "$real_memory_mb"
