#!/usr/bin/env bash
# run.sh: the one entry point of ft's benchmark against its peers.
#
#   bench/run.sh                full benchmark, results into bench/results/
#   bench/run.sh --quick        smoke test of the harness: small data, one round
#
# Flags (all optional):
#   --quick             small data, one round, missing peers are skipped
#   --rounds N          rounds (default 3; 1 with --quick)
#   --workloads LIST    comma list of big,tree,small,netns (default: all)
#   --tools LIST        comma list of ft,ft-portable,raw,raw-b3,nc,socat,rsync,scp
#                       (default: all but ft-portable, which is ft built with
#                       -tags ftportable: --tools ft,ft-portable,... times both)
#   --ft-tags TAGS      build the ft under test with -tags TAGS (ft-portable
#                       adds ftportable to them)
#   --targets LIST      comma list of tmpfs,disk (default: both)
#   --modes LIST        comma list of durable,nosync (default: both)
#   --out DIR           where the report goes (default: bench/results; a temp dir with --quick)
#   --no-install        do not apt-get install the peers (missing ones then fail,
#                       or are skipped with --quick)
# Any other flag is passed to the Go harness as is (see `cd bench && go run . -h`).
#
# Needs root for apt-get, the tmpfs mount and the network namespaces. All data
# lives in a temp dir under ${TMPDIR:-/tmp} that is removed on exit, whatever
# happens; namespaces, mounts and daemons made by the run are removed too.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
install=1
quick=0
tools=""
ft_tags=""
args=()
while [ $# -gt 0 ]; do
	case "$1" in
	--no-install) install=0 ;;
	--quick) quick=1; args+=(-quick) ;;
	--rounds | --workloads | --tools | --targets | --modes | --out)
		[ $# -ge 2 ] || { echo "run.sh: $1 needs a value" >&2; exit 2; }
		[ "$1" = --tools ] && tools=$2
		args+=("-${1#--}" "$2"); shift ;;
	--ft-tags)
		[ $# -ge 2 ] || { echo "run.sh: $1 needs a value" >&2; exit 2; }
		ft_tags=$2; shift ;;
	-h | --help) sed -n '2,25p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) args+=("$1") ;;
	esac
	shift
done

peers=(netcat-openbsd socat rsync openssh-server openssh-client iproute2 time)
install_peers() {
	local missing=() p
	for p in "${peers[@]}"; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && { echo "bench: peers already installed" >&2; return 0; }
	if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
		echo "bench: cannot install ${missing[*]} (needs root and apt-get)" >&2
		return 1
	fi
	echo "bench: installing ${missing[*]}" >&2
	export DEBIAN_FRONTEND=noninteractive
	timeout 600 apt-get update -qq >&2
	timeout 900 apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
	# openssh-server's package scripts may start the system sshd; the bench runs
	# its own on a free loopback port and never touches the system one.
}

work=$(mktemp -d "${TMPDIR:-/tmp}/ft-bench.XXXXXX")
child=""
cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	if [ -n "$child" ] && kill -0 "$child" 2>/dev/null; then
		kill -TERM "$child" 2>/dev/null || true
		wait "$child" 2>/dev/null || true
	fi
	# Backstop for a harness that died without cleaning up: the harness records
	# what it created under $work/state.
	if [ -d "$work/state" ]; then
		for f in "$work"/state/pgid.*; do
			[ -e "$f" ] && kill -KILL -- "-$(cat "$f")" 2>/dev/null || true
		done
		for f in "$work"/state/netns.*; do
			[ -e "$f" ] && ip netns del "$(cat "$f")" 2>/dev/null || true
		done
		for f in "$work"/state/mount.*; do
			[ -e "$f" ] && { umount "$(cat "$f")" 2>/dev/null || umount -l "$(cat "$f")" 2>/dev/null || true; }
		done
		for f in "$work"/state/rmtree.*; do
			[ -e "$f" ] && rm -rf -- "$(cat "$f")"
		done
		for f in "$work"/state/rmdir.*; do
			[ -e "$f" ] && rmdir -- "$(cat "$f")" 2>/dev/null || true
		done
	fi
	rm -rf "$work"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [ "$install" = 1 ]; then
	if ! install_peers; then
		[ "$quick" = 1 ] || exit 1
		echo "bench: quick mode goes on without the missing peers" >&2
	fi
fi

# ft_rev names the commit the work tree is at, with -dirty if tracked files
# have uncommitted changes: taken right before ft is built, it labels the
# binary that is timed (HEAD when the report is written may be another).
ft_rev() {
	local c
	c=$(git -C "$root" rev-parse --short HEAD 2>/dev/null) || { echo unknown; return; }
	if [ -n "$(git -C "$root" status --porcelain --untracked-files=no 2>/dev/null)" ]; then
		c+=-dirty
	fi
	echo "$c"
}

mkdir -p "$work/bin"
cd "$root"
rev=""
if [ -z "$tools" ] || [[ ",$tools," == *,ft,* ]]; then
	rev=$(ft_rev)
	echo "bench: building ft ($rev${ft_tags:+, -tags $ft_tags})" >&2
	go build -tags "$ft_tags" -o "$work/bin/ft" .
fi
if [[ ",$tools," == *,ft-portable,* ]]; then
	rev=${rev:-$(ft_rev)}
	ptags=ftportable${ft_tags:+,$ft_tags}
	echo "bench: building ft-portable ($rev, -tags $ptags)" >&2
	go build -tags "$ptags" -o "$work/bin/ft-portable" .
	args+=(-ft-portable "$work/bin/ft-portable")
fi
# The harness is a module of its own (bench/go.mod), built from its directory.
(cd "$here" && go build -o "$work/bin/ftbench" .)

"$work/bin/ftbench" -workdir "$work" -ft "$work/bin/ft" -ft-rev "$rev" -repo "$root" "${args[@]}" &
child=$!
wait "$child"
