# Sourced by start.sh and stop.sh (which set $state_dir): is a recorded daemon still running?

# True while process $1 exists and is not a zombie (without an init system,
# nobody may reap a killed daemon).
is_alive() {
    local state
    state=$(awk '/^State:/ {print $2}' "/proc/$1/status" 2>/dev/null) || return 1
    [[ -n $state && $state != Z ]]
}

# Prints the recorded PID of daemon $1 if that process is still the daemon.
running_pid() {
    local pid
    pid=$(cat "$state_dir/$1.pid" 2>/dev/null) || return 1
    [[ -n $pid && $(cat "/proc/$pid/comm" 2>/dev/null) == "$1" ]] && is_alive "$pid" || return 1
    echo "$pid"
}
