#!/usr/bin/env bash
# A single-node SLURM cluster on this Debian/Ubuntu machine, for trying and testing
# net221-train's submitit_slurm launcher.
#
#   scripts/slurm_cluster.sh up      install the packages (apt) if missing, write the configs, start the daemons
#   scripts/slurm_cluster.sh down    cancel the cluster's jobs, stop the daemons this script started
#   scripts/slurm_cluster.sh status  whether the cluster answers
#
# Needs root (the daemons run as root) and apt-get. `up` is idempotent: a second
# call finds the daemons running and only waits for the node to be idle.
# The node is this host (CPUs and memory as `slurmd -C` reports them) in one
# partition, $NET221_SLURM_PARTITION (default "debug"). /etc/slurm/slurm.conf and
# /etc/slurm/slurmdbd.conf are written only if absent or written by this script.
#
# Accounting: sacct, which submitit asks for the state of its jobs, answers only
# through slurmdbd, and slurmdbd keeps its records in MySQL or MariaDB. The script
# runs a private MariaDB server for it: data in $STATE/mysql, listening on
# 127.0.0.1:$NET221_SLURM_DB_PORT (default 6833). To use a server that already
# runs instead, set NET221_SLURM_DB=user:password@host:port (a user who may
# create the database slurm_acct_db).
set -euo pipefail
export PATH="$PATH:/usr/sbin:/sbin"

PARTITION="${NET221_SLURM_PARTITION:-debug}"
DB="${NET221_SLURM_DB:-}"
DB_PORT="${NET221_SLURM_DB_PORT:-6833}"
CONF=/etc/slurm/slurm.conf
DBD_CONF=/etc/slurm/slurmdbd.conf
STATE=/var/lib/net221-slurm
RUN=/run/net221-slurm
MARK="# Written by net221's scripts/slurm_cluster.sh; 'down' leaves it, 'up' rewrites it."
WAIT_S=60

say() { echo "slurm_cluster: $*"; }
die() {
    echo "slurm_cluster: error: $*" >&2
    exit 1
}

alive() { # alive NAME: the daemon whose pid is in $RUN/NAME.pid runs
    [[ -s "$RUN/$1.pid" ]] && kill -0 "$(cat "$RUN/$1.pid")" 2>/dev/null
}

wait_until() { # wait_until WHAT COMMAND...: run COMMAND every 0.5 s until it succeeds, at most WAIT_S
    local what="$1"
    shift
    for _ in $(seq $((WAIT_S * 2))); do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.5
    done
    die "$what after ${WAIT_S}s (logs in $STATE)"
}

install_packages() {
    local packages=()
    command -v munged >/dev/null || packages+=(munge)
    command -v slurmctld >/dev/null || packages+=(slurmctld)
    command -v slurmd >/dev/null || packages+=(slurmd)
    command -v sbatch >/dev/null || packages+=(slurm-client)
    command -v slurmdbd >/dev/null || packages+=(slurmdbd)
    [[ -n "$DB" ]] || command -v mysqld >/dev/null || packages+=(mariadb-server)
    ((${#packages[@]})) || return 0
    command -v apt-get >/dev/null || die "no apt-get to install ${packages[*]}"
    say "installing ${packages[*]} with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    local install=(apt-get install -y -q --no-install-recommends "${packages[@]}")
    "${install[@]}" >/dev/null 2>&1 || { apt-get update -q >/dev/null && "${install[@]}" >/dev/null; } ||
        die "${install[*]} failed"
}

write_file() { # write_file PATH MODE TEXT: (re)write a config of ours; sets CHANGED=1 if it changed
    local path="$1" mode="$2" text="$MARK"$'\n'"$3"
    if [[ -f "$path" ]]; then
        head -n 1 "$path" | grep -qF "$MARK" ||
            die "$path exists and was not written by this script; move it away to use this cluster"
        [[ "$(cat "$path")" == "$text" ]] && return 0
    fi
    mkdir -p "$(dirname "$path")"
    (
        umask 077
        printf '%s\n' "$text" >"$path.tmp"
    )
    chmod "$mode" "$path.tmp"
    mv "$path.tmp" "$path"
    CHANGED=1
}

write_configs() {
    local host node db_user db_pass db_host db_port
    host="$(hostname -s)"
    node="$(slurmd -C | head -n 1)"
    [[ "$node" == NodeName=* ]] || die "slurmd -C printed no node line: $node"
    if [[ -n "$DB" ]]; then
        [[ "$DB" =~ ^([^:@]+):([^@]*)@([^:]+):([0-9]+)$ ]] ||
            die "NET221_SLURM_DB='$DB': expected user:password@host:port"
        db_user="${BASH_REMATCH[1]}" db_pass="${BASH_REMATCH[2]}" db_host="${BASH_REMATCH[3]}" db_port="${BASH_REMATCH[4]}"
    else
        db_user=slurm db_pass=net221 db_host=127.0.0.1 db_port="$DB_PORT"
    fi
    write_file "$CONF" 644 "ClusterName=net221
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
AuthType=auth/munge
# a requeued job may start again 5 s after the requeue (by default 120 s), and the
# scheduler looks at pending jobs every 2 s (by default 30 s and 60 s)
AuthInfo=cred_expire=5
SchedulerParameters=bf_interval=2,sched_interval=2
StateSaveLocation=$STATE/slurmctld
SlurmdSpoolDir=$STATE/slurmd
SlurmctldPidFile=$RUN/slurmctld.pid
SlurmdPidFile=$RUN/slurmd.pid
SlurmctldLogFile=$STATE/slurmctld.log
SlurmdLogFile=$STATE/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
MailProg=/bin/true
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
# seconds between SIGTERM and SIGKILL when a job is cancelled, requeued or out of time
KillWait=5
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=127.0.0.1
JobAcctGatherType=jobacct_gather/none
$node NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=$PARTITION Nodes=ALL Default=YES MaxTime=INFINITE State=UP"
    write_file "$DBD_CONF" 600 "AuthType=auth/munge
DbdHost=$host
DbdAddr=127.0.0.1
SlurmUser=root
PidFile=$RUN/slurmdbd.pid
LogFile=$STATE/slurmdbd.log
StorageType=accounting_storage/mysql
StorageHost=$db_host
StoragePort=$db_port
StorageUser=$db_user
StoragePass=$db_pass
StorageLoc=slurm_acct_db"
}

start_munge() {
    if munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1; then
        return 0 # a munged answers already (ours, or the system's service)
    fi
    local key=/etc/munge/munge.key
    if [[ ! -s "$key" ]]; then
        mkdir -p /etc/munge
        dd if=/dev/urandom of="$key" bs=1 count=1024 status=none
    fi
    mkdir -p /run/munge /var/lib/munge /var/log/munge
    chown munge:munge /etc/munge "$key" /run/munge /var/lib/munge /var/log/munge
    chmod 0700 /etc/munge /var/log/munge
    chmod 0400 "$key"
    chmod 0755 /run/munge
    runuser -u munge -- munged
    cp /run/munge/munged.pid "$RUN/munged.pid" # `down` stops this munged, never the system's
    munge -n </dev/null | unmunge >/dev/null || die "munged does not answer"
}

sql() { mysql --socket="$RUN/mysqld.sock" --user=root --batch --skip-column-names -e "$1"; }

start_database() {
    [[ -z "$DB" ]] || return 0
    alive mysqld && return 0
    local data="$STATE/mysql"
    if [[ ! -d "$data/mysql" ]]; then
        rm -rf "$data"
        mkdir -p "$data"
        command -v mariadb-install-db >/dev/null ||
            die "mysqld here is not MariaDB; set NET221_SLURM_DB=user:password@host:port to use its server"
        mariadb-install-db --user=root --datadir="$data" --skip-test-db --auth-root-authentication-method=socket \
            >"$STATE/mysql-init.log" 2>&1 || die "initializing the database in $data failed; see $STATE/mysql-init.log"
    fi
    # the sizes slurmdbd asks for (it logs an error below them)
    setsid mysqld --user=root --datadir="$data" --socket="$RUN/mysqld.sock" --pid-file="$RUN/mysqld.pid" \
        --port="$DB_PORT" --bind-address=127.0.0.1 --log-error="$STATE/mysqld.log" \
        --innodb-buffer-pool-size=128M --innodb-lock-wait-timeout=900 </dev/null >/dev/null 2>&1 &
    wait_until "the database server does not answer" sql "SELECT 1"
    sql "CREATE USER IF NOT EXISTS 'slurm'@'127.0.0.1' IDENTIFIED BY 'net221';
         GRANT ALL ON slurm_acct_db.* TO 'slurm'@'127.0.0.1';"
}

node_ready() { # the node takes jobs; a node left down by an unclean stop is resumed
    local state
    state="$(timeout 10 sinfo --noheader --partition="$PARTITION" --format=%T 2>/dev/null | head -n 1)"
    case "$state" in
    idle | mixed | allocated | completing) return 0 ;;
    down* | drain* | fail*) scontrol update nodename="$(hostname -s)" state=resume ;;
    esac
    return 1
}

stop() { # stop NAME: end the daemon this script started, and wait for it
    alive "$1" || {
        rm -f "$RUN/$1.pid"
        return 0
    }
    local pid
    pid="$(cat "$RUN/$1.pid")"
    kill "$pid"
    for _ in $(seq 100); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.2
    done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
    rm -f "$RUN/$1.pid"
}

up() {
    [[ "$(id -u)" == 0 ]] || die "needs root (the daemons run as root)"
    install_packages
    mkdir -p "$STATE/slurmctld" "$STATE/slurmd" "$RUN"
    CHANGED=0
    write_configs
    if ((CHANGED)); then
        stop slurmd
        stop slurmctld
        stop slurmdbd
    fi
    start_munge
    start_database
    alive slurmdbd || slurmdbd
    wait_until "slurmdbd does not answer" sacctmgr --noheader list cluster
    alive slurmctld || slurmctld
    alive slurmd || slurmd
    wait_until "the node is not idle" node_ready
    say "up: partition '$PARTITION' on $(hostname -s) ($(sinfo --noheader --format='%c CPUs, %m MB' | head -n 1))"
}

down() {
    [[ "$(id -u)" == 0 ]] || die "needs root"
    if alive slurmctld; then
        # end the jobs first, so that no job outlives the daemons
        scancel --full --partition="$PARTITION" 2>/dev/null || true
        for _ in $(seq 60); do
            [[ -z "$(squeue --noheader --format=%i 2>/dev/null)" ]] && break
            sleep 0.5
        done
    fi
    stop slurmd
    stop slurmctld
    stop slurmdbd
    stop mysqld
    stop munged
    say "down"
}

status() {
    timeout 10 sinfo 2>/dev/null || {
        say "no cluster answers"
        return 1
    }
}

case "${1:-}" in
up) up ;;
down) down ;;
status) status ;;
*)
    echo "usage: $0 up|down|status" >&2
    exit 2
    ;;
esac
