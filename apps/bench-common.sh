# SPDX-License-Identifier: MIT
# apps/bench-common.sh: what every benchmark script (apps/*/bench.sh)
# starts with, sourced after it set $run: a fresh scratch directory with a
# facts file and fact(), and the machine the figures come from (cpu,
# cores, kernel, kvm, kvmkind, machine, date), which every table prints;
# and fail_reason, which says why a run failed.
rm -rf "$run"
mkdir -p "$run"
facts=$run/facts.tsv
: >"$facts"
fact() { local IFS=$'\t'; echo "$*" >>"$facts"; }

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
cores=$(nproc)
kernel=$(uname -r)
kvm=
for m in kvm_intel kvm_amd kvm_pvm; do [ -d /sys/module/$m ] && kvm=${kvm:+$kvm,}$m; done
if [ -d /sys/module/kvm_pvm ]; then
	kvmkind="paravirtual (kvm_pvm: no hardware virtualization; guest ring 0 is run by the host)"
else
	kvmkind="hardware (${kvm:-no KVM module})"
fi
machine="$cpu, $cores cores, Linux $kernel, KVM: $kvmkind"
date=$(date -u +%Y-%m-%dT%H:%M:%SZ)

# fail_reason ERRFILE STATUS LINES NOISE: why a run failed: timed out
# (status 124 or 137, after the script's $TIMEOUT seconds), or the last
# line of ERRFILE that matches the extended regular expression LINES (the
# run's own messages) and not NOISE (its statistics), with the status.
fail_reason() {
	local r
	case $2 in 124 | 137) echo "timed out after $TIMEOUT s (exit status $2)"; return ;; esac
	r=$(grep -hE "$3" "$1" 2>/dev/null | grep -vE "$4" | tail -1 || true)
	echo "${r:+$r; }exit status $2"
}
