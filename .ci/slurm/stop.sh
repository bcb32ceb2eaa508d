#!/usr/bin/env bash
# Stop the daemons .ci/slurm/start.sh started, by their recorded PIDs only.
#
#   .ci/slurm/stop.sh [STATE_DIR]         (default: /tmp/qaccel-slurm)
#
# Safe to run twice, or when nothing runs: a PID file whose process is gone or
# is no longer that daemon (PID reused) is just removed. Job processes still
# running under slurmd are cancelled first so none outlive the cluster.
# Configs, key and logs stay in STATE_DIR for post-mortems; PID files and the
# /etc/slurm/slurm.conf link to STATE_DIR do not.
set -uo pipefail

state_dir=$(realpath -m "${1:-/tmp/qaccel-slurm}")
export SLURM_CONF="$state_dir/slurm.conf"
stop_timeout_s=15

# is_alive, running_pid: the daemons' recorded PIDs under $state_dir.
source "$(dirname "${BASH_SOURCE[0]}")/pids.sh"

if running_pid slurmctld >/dev/null; then
    scancel --full --user="$(id -un)" 2>/dev/null
    sleep 1
fi

# Reverse start order: slurmd and slurmctld still need munged while they exit.
for name in slurmd slurmctld munged; do
    if pid=$(running_pid "$name"); then
        kill -TERM "$pid"
        for _ in $(seq $((stop_timeout_s * 10))); do
            is_alive "$pid" || break
            sleep 0.1
        done
        if is_alive "$pid"; then
            echo "slurm: $name (pid $pid) ignored SIGTERM for ${stop_timeout_s}s; killing" >&2
            kill -KILL "$pid"
        fi
        echo "slurm: stopped $name (pid $pid)"
    fi
    rm -f "$state_dir/$name.pid"
done

default_conf=/etc/slurm/slurm.conf
if [[ -L $default_conf && $(readlink "$default_conf") == "$SLURM_CONF" ]]; then
    rm -f "$default_conf"
fi
