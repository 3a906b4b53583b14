#!/usr/bin/env bash
# Single-node SLURM for CI (Debian slurm-wlm + munge): `source .ci/slurm.sh; slurm_start DIR; ...; slurm_stop`.
# No accounting (accounting_storage/none, no slurmdbd), no cgroups (proctrack/linuxproc, task/none), one node
# (this host) with its CPUs, one partition "ci". SLURM_CONF points the clients (sbatch, squeue, srun) at DIR/slurm.conf.
# Needs root (munged and slurmd run as root here) and apt-get.

slurm_install() {
  if ! command -v slurmctld >/dev/null 2>&1 || ! command -v munged >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >/dev/null
  fi
}

slurm_start() {
  local dir="$1" host cpus mem
  mkdir -p "$dir/state" "$dir/spool"
  host=$(hostname -s)
  cpus=$(nproc)
  mem=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 / 2 ))
  cat > "$dir/slurm.conf" <<CONF
ClusterName=cgtsafe-ci
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
SlurmctldPort=6817
SlurmdPort=6818
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
MpiDefault=none
ReturnToService=2
MinJobAge=600
SlurmdTimeout=300
NodeName=$host CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=ci Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
  export SLURM_CONF="$dir/slurm.conf"
  # Job steps (srun inside the sbatch script that the executor plugin writes) do not see SLURM_CONF: put the
  # config where every SLURM client looks by default. An existing /etc/slurm/slurm.conf is kept aside.
  mkdir -p /etc/slurm
  if [ -e /etc/slurm/slurm.conf ] && [ ! -L /etc/slurm/slurm.conf ]; then
    mv /etc/slurm/slurm.conf /etc/slurm/slurm.conf.before-cgtsafe-ci
  fi
  ln -sfn "$dir/slurm.conf" /etc/slurm/slurm.conf
  if [ ! -s /etc/munge/munge.key ]; then
    mkdir -p /etc/munge && dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null
  fi
  chown root:root /etc/munge/munge.key 2>/dev/null || true
  chmod 400 /etc/munge/munge.key
  mkdir -p /run/munge /var/log/munge /var/lib/munge
  munged --force --pid-file="$dir/munged.pid" --socket=/run/munge/munge.socket.2 \
    --log-file="$dir/munged.log" --seed-file="$dir/munged.seed" || return 1
  slurmctld -f "$SLURM_CONF" || return 1
  slurmd -f "$SLURM_CONF" || return 1
  local i
  for i in $(seq 1 30); do
    if sinfo -h -o '%T' 2>/dev/null | grep -qE '^(idle|mixed)'; then
      echo "slurm: node up ($(sinfo -h -o '%N %c CPUs %m MB %T'))"
      return 0
    fi
    sleep 1
  done
  echo "slurm: node did not come up"; sinfo; tail -20 "$dir/slurmctld.log" "$dir/slurmd.log"
  return 1
}

slurm_stop() {
  local dir="${1:-$(dirname "${SLURM_CONF:-/nonexistent/x}")}" f
  local pid i
  for f in slurmd slurmctld munged; do
    if [ -s "$dir/$f.pid" ]; then
      pid=$(cat "$dir/$f.pid")
      kill "$pid" 2>/dev/null || true
      for i in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    fi
  done
  if [ -L /etc/slurm/slurm.conf ] && [ "$(readlink /etc/slurm/slurm.conf)" = "$dir/slurm.conf" ]; then
    rm -f /etc/slurm/slurm.conf
    if [ -e /etc/slurm/slurm.conf.before-cgtsafe-ci ]; then
      mv /etc/slurm/slurm.conf.before-cgtsafe-ci /etc/slurm/slurm.conf
    fi
  fi
}
