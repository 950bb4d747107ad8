#!/usr/bin/env bash
# Host tests of the kernel base pin (kernel/BASE) and the scripts that keep
# it: prepare-tree.sh, install-deps.sh, rebase.sh, check-series.sh --newest.
#
# The real scripts run against a toy "kernel source" in a fake Debian
# archive: apt-get, apt-cache and dpkg-query are stand-ins on PATH that
# serve .deb packages built here (dpkg-deb) and record what they install,
# so every path (the pinned version installed or not, Debian moved on, a
# version gone from the archive, a tarball that is not the pinned one, a
# rebase that merges and one that conflicts) runs in seconds, with no
# network and nothing touched outside a temporary directory.
#
# Toy versions (drivers/a.c, one word a line; the series changes "four"
# and adds a line after "six"):
#   1.0-1  the series' base
#   1.1-1  "two" changed: context moved, the series merges three-way
#   1.2-1  "four" changed: patch 0001 conflicts
#   1.3-1  a new file only: the series applies as it is
# TAP output, closing "# Totals: pass:P fail:F skip:0".
set -uo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
S=$TOP/kernel/scripts
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0 fail=0 n=0

ok() {	# NAME COND-STATUS [DIAG]
	n=$((n + 1))
	if [ "$2" = 0 ]; then
		pass=$((pass + 1)); echo "ok $n $1"
	else
		fail=$((fail + 1)); echo "not ok $n $1"
		[ -z "${3:-}" ] || echo "$3" | sed 's/^/#   /'
	fi
}
# Does FILE contain every one of the fixed strings that follow?
has() {
	local f=$1 s
	shift
	for s in "$@"; do grep -qF -- "$s" "$f" || return 1; done
}

# --- the fake archive ---------------------------------------------------------
A=$T/archive
mkdir -p "$A" "$T/bin" "$T/usr/src" "$T/work"
words="one two three four five six seven eight"
make_version() {	# VERSION SED-EXPRESSION [EXTRA-FILE]
	local v=$1 d=$T/build/$1
	mkdir -p "$d/linux-source-6.12/drivers" "$d/linux-source-6.12/scripts" "$d/pkg/usr/src" "$d/pkg/DEBIAN"
	printf '%s\n' $words | sed "$2" > "$d/linux-source-6.12/drivers/a.c"
	# check-series.sh runs the tree's checkpatch: the toy's finds nothing.
	printf '#!/usr/bin/perl\nexit 0;\n' > "$d/linux-source-6.12/scripts/checkpatch.pl"
	[ -z "${3:-}" ] || echo new > "$d/linux-source-6.12/$3"
	tar -cJf "$d/pkg/usr/src/linux-source-6.12.tar.xz" -C "$d" linux-source-6.12
	printf 'Package: linux-source-6.12\nVersion: %s\nArchitecture: all\nMaintainer: t <t@t>\nDescription: toy\n' \
		"$v" > "$d/pkg/DEBIAN/control"
	dpkg-deb -b -Zgzip "$d/pkg" "$A/$v.deb" >/dev/null
	sha256sum < "$d/pkg/usr/src/linux-source-6.12.tar.xz" | cut -c1-64 > "$A/$v.sha256"
}
make_version 1.0-1 's/^$//'
make_version 1.1-1 's/^two$/TWO/'
make_version 1.2-1 's/^four$/4/'
make_version 1.3-1 's/^$//' drivers/b.c

# The series: made on 1.0-1 with git format-patch.
(
	cd "$T/build" && mkdir s && cd s && git init -q &&
	git config user.name t && git config user.email t@t &&
	tar -xJf "$T/build/1.0-1/pkg/usr/src/linux-source-6.12.tar.xz" --strip-components=1 &&
	git add -A && git commit -qm base &&
	sed -i 's/^four$/FOUR/' drivers/a.c && git commit -qam "a: shout four" &&
	sed -i 's/^six$/six\nsix and a half/' drivers/a.c && git commit -qam "a: more six" &&
	git format-patch -q -o "$T/patches0" HEAD~2..HEAD
) || { echo "Bail out! could not make the toy series"; exit 1; }
(cd "$T/patches0" && ls -1 -- *.patch) > "$T/patches0/series"

# apt-get: update, download PKG=V (into the current directory), install
# [options] PKG[=V]... (the source package: unpacked to SRC_TARBALL and
# recorded). Every call is logged.
cat > "$T/bin/apt-get" <<'EOF'
#!/usr/bin/env bash
echo "apt-get $*" >> "$FAKE/apt.log"
cmd=
for a; do case $a in -*) ;; *) [ -n "$cmd" ] || { cmd=$a; continue; } ;; esac; done
case $cmd in
update) exit 0 ;;
download|install)
	for a; do
		case $a in
		linux-source-6.12=*)
			v=${a#*=}
			[ -f "$FAKE/archive/$v.deb" ] ||
				{ echo "E: Version '$v' for 'linux-source-6.12' was not found" >&2; exit 100; }
			if [ "$cmd" = download ]; then
				cp "$FAKE/archive/$v.deb" "linux-source-6.12_${v}_all.deb"
			else
				dpkg-deb --fsys-tarfile "$FAKE/archive/$v.deb" |
					tar -xO ./usr/src/linux-source-6.12.tar.xz > "$SRC_TARBALL"
				echo "$v" > "$FAKE/installed"
			fi ;;
		esac
	done ;;
esac
EOF
# apt-cache madison linux-source-6.12: the archive's versions.
cat > "$T/bin/apt-cache" <<'EOF'
#!/usr/bin/env bash
for d in "$FAKE"/archive/*.deb; do
	v=${d##*/}; echo " linux-source-6.12 | ${v%.deb} | fake bookworm-security/main"
done
EOF
# dpkg-query -W -f=FMT PKG: every package installed; the source package
# at the recorded version, or not at all.
cat > "$T/bin/dpkg-query" <<'EOF'
#!/usr/bin/env bash
pkg=${!#}
if [ "$pkg" = linux-source-6.12 ]; then
	[ -s "$FAKE/installed" ] || exit 1
	echo "install ok installed $(cat "$FAKE/installed")"
else
	echo "install ok installed"
fi
EOF
chmod +x "$T/bin"/*
export FAKE=$T PATH=$T/bin:$PATH SRC_TARBALL=$T/usr/src/linux-source-6.12.tar.xz
export BASE_FILE=$T/BASE SERIES_DIR=$T/patches
unset KFLAVOR KCONFIG_EXTRA

# A fresh start: cache, installed version, the pin (VERSION [SHA]) and the
# series as made on 1.0-1.
reset() {	# PIN INSTALLED|-
	rm -rf "$T/cache" "$T/patches"
	cp -r "$T/patches0" "$T/patches"
	export XDG_CACHE_HOME=$T/cache
	: > "$FAKE/apt.log"
	printf 'version=%s\nsha256=%s\n' "$1" "${PIN_SHA:-$(cat "$A/$1.sha256")}" > "$BASE_FILE"
	if [ "$2" = - ]; then rm -f "$FAKE/installed" "$SRC_TARBALL"
	else apt-get install "linux-source-6.12=$2" && : > "$FAKE/apt.log"; fi
}
tree() { echo "$T/cache/vfio-iopf/linux-$(echo "$1" | tr '~:' '__')"; }
out=$T/out

echo "TAP version 13"
echo "1..18"

# 1. The pinned version is installed: the series is applied on it.
reset 1.0-1 1.0-1
"$S/prepare-tree.sh" >"$out" 2>&1
r=$?
[ $r = 0 ] && grep -qx FOUR "$(tree 1.0-1)/drivers/a.c" && grep -qx 'six and a half' "$(tree 1.0-1)/drivers/a.c"
ok "prepare-tree applies the series on the pinned, installed base" $? "$(cat "$out")"

# 2. Debian moved on (1.1 installed), fresh cache: the pinned 1.0 is built
#    all the same, downloaded, and nothing is installed.
reset 1.0-1 1.1-1
"$S/prepare-tree.sh" >"$out" 2>&1
r=$?
[ $r = 0 ] && grep -qx FOUR "$(tree 1.0-1)/drivers/a.c" && grep -qx two "$(tree 1.0-1)/drivers/a.c" &&
	[ ! -e "$(tree 1.1-1)" ] && [ "$(cat "$FAKE/installed")" = 1.1-1 ] &&
	grep -q '^apt-get download.*linux-source-6.12=1.0-1' "$FAKE/apt.log" &&
	! grep -q '^apt-get install' "$FAKE/apt.log"
ok "another installed version: the pinned one is downloaded and built, apt state untouched" $? "$(cat "$out" "$FAKE/apt.log")"

# 3. Once unpacked, the pinned tree is used whatever apt installs later.
apt-get install linux-source-6.12=1.2-1
: > "$FAKE/apt.log"
"$S/prepare-tree.sh" >"$out" 2>&1
r=$?
[ $r = 0 ] && grep -qx FOUR "$(tree 1.0-1)/drivers/a.c" && [ ! -s "$FAKE/apt.log" ]
ok "the cached pinned tree is kept when apt moves the installed source" $? "$(cat "$out" "$FAKE/apt.log")"

# 4. The pinned version cannot be had: a message naming both versions and
#    the fix, not a patch failure.
reset 1.0-1 1.1-1
mv "$A/1.0-1.deb" "$T/hidden.deb"
"$S/prepare-tree.sh" >"$out" 2>&1
r=$?
mv "$T/hidden.deb" "$A/1.0-1.deb"
[ $r != 0 ] && has "$out" "1.0-1 is pinned" "1.1-1 is installed" "make deps" "rebase.sh" &&
	! grep -q 'does not apply' "$out"
ok "a pinned version apt cannot get stops with both versions and the fix" $? "$(cat "$out")"

# 4b. ...and says so when no version is installed at all.
reset 1.0-1 -
mv "$A/1.0-1.deb" "$T/hidden.deb"
"$S/prepare-tree.sh" >"$out" 2>&1
r=$?
mv "$T/hidden.deb" "$A/1.0-1.deb"
[ $r != 0 ] && has "$out" "1.0-1 is pinned" "none is installed" "(installed: none)"
ok "with nothing installed, the stop message says none is" $? "$(cat "$out")"

# 5. A tarball that is not the pinned one (sha256) is refused.
PIN_SHA=$(cat "$A/1.1-1.sha256") reset 1.0-1 1.0-1
"$S/prepare-tree.sh" >"$out" 2>&1
r=$?
[ $r != 0 ] && has "$out" "sha256 $(cat "$A/1.0-1.sha256")" "pins $(cat "$A/1.1-1.sha256")" && [ ! -e "$(tree 1.0-1)" ]
ok "a source tarball whose sha256 is not the pinned one is refused" $? "$(cat "$out")"

# 6. install-deps installs exactly the pinned version, downgrading...
reset 1.0-1 1.2-1
"$S/install-deps.sh" >"$out" 2>&1
r=$?
[ $r = 0 ] && [ "$(cat "$FAKE/installed")" = 1.0-1 ] &&
	grep -q '^apt-get install.*--allow-downgrades.*linux-source-6.12=1.0-1' "$FAKE/apt.log"
ok "install-deps installs the pinned source version, downgrading" $? "$(cat "$out" "$FAKE/apt.log")"

# 7. ...and leaves apt alone once the cache holds the pinned tree.
reset 1.0-1 1.0-1
"$S/prepare-tree.sh" >/dev/null 2>&1
apt-get install linux-source-6.12=1.2-1
: > "$FAKE/apt.log"
"$S/install-deps.sh" >"$out" 2>&1
r=$?
[ $r = 0 ] && [ ! -s "$FAKE/apt.log" ] && [ "$(cat "$FAKE/installed")" = 1.2-1 ]
ok "install-deps installs nothing when the pinned tree is cached" $? "$(cat "$out" "$FAKE/apt.log")"

# 8-11. check-series.sh --newest, with the archive's newest version being
# the pin, one the series applies to as it is, one it merges into, and one
# it conflicts with.
newest() {	# ARCHIVE-VERSIONS...: check --newest against that archive
	mkdir -p "$T/stash"
	mv "$A"/*.deb "$T/stash/"
	for v; do mv "$T/stash/$v.deb" "$A/"; done
	"$S/check-series.sh" --newest >"$out" 2>&1
	local r=$?
	mv "$T/stash"/*.deb "$A/" 2>/dev/null
	return $r
}
reset 1.0-1 1.0-1
newest 1.0-1
r=$?
[ $r = 0 ] && has "$out" "series: ok   newest base: the pinned base 1.0-1 is the newest" "series: 1 passed, 0 failed"
ok "check-series --newest: the pin is the newest" $? "$(cat "$out")"

newest 1.0-1 1.3-1
r=$?
[ $r = 0 ] && has "$out" "series: ok" "1.3-1 is newer than the pinned 1.0-1; the series applies to it as it is"
ok "check-series --newest: a newer base the series applies to" $? "$(cat "$out")"

newest 1.0-1 1.1-1
r=$?
[ $r = 0 ] && has "$out" "series: ok" "0001-a-shout-four.patch needs three-way merges, and every patch merges" "rebase.sh 1.1-1"
ok "check-series --newest: a newer base the series merges into" $? "$(cat "$out")"

newest 1.0-1 1.1-1 1.2-1
r=$?
[ $r != 0 ] && has "$out" "series: FAIL newest base: 1.2-1" "0001-a-shout-four.patch conflicts in drivers/a.c" "series: 0 passed, 1 failed" &&
	[ -z "$(git -C "$(tree 1.2-1)" worktree list | sed 1d)" ] && [ "$(cat "$FAKE/installed")" = 1.0-1 ]
ok "check-series --newest: names the patch and file that conflict, installs nothing, leaves no worktree" $? "$(cat "$out")"

# 12. rebase.sh onto a conflicting version stops at the patch and file;
#     the pin and the series stay as they were.
reset 1.0-1 1.0-1
"$S/rebase.sh" 1.2-1 >"$out" 2>&1
r=$?
[ $r != 0 ] && has "$out" "0001-a-shout-four.patch does not apply on 1.2-1" "drivers/a.c" "git am --continue" &&
	grep -qx 'version=1.0-1' "$BASE_FILE" && diff -r "$T/patches0" "$T/patches" >/dev/null &&
	[ "$(cat "$FAKE/installed")" = 1.2-1 ]
ok "rebase.sh stops at the first conflict, naming patch and file; pin and series unchanged" $? "$(cat "$out")"

# 13. Resolving it and running rebase.sh again goes on from the next patch.
wt=$T/cache/vfio-iopf/rebase-1.2-1
printf '%s\n' one two three FOUR five six seven eight > "$wt/drivers/a.c"
git -C "$wt" add drivers/a.c && GIT_EDITOR=true git -C "$wt" am --continue >/dev/null 2>&1
"$S/rebase.sh" 1.2-1 >"$out" 2>&1
r=$?
[ $r = 0 ] && grep -qx 'version=1.2-1' "$BASE_FILE" && grep -qx "sha256=$(cat "$A/1.2-1.sha256")" "$BASE_FILE" &&
	[ ! -e "$wt" ] && has "$out" "series: 2 passed, 0 failed"
ok "rebase.sh goes on after a resolved conflict and pins the new version" $? "$(cat "$out")"

# 14. rebase.sh onto a version where context moved: merged, exported,
#     pinned (with the tarball's sha256), installed, checked.
reset 1.0-1 1.0-1
"$S/rebase.sh" 1.1-1 >"$out" 2>&1
r=$?
[ $r = 0 ] && grep -qx 'version=1.1-1' "$BASE_FILE" && grep -qx "sha256=$(cat "$A/1.1-1.sha256")" "$BASE_FILE" &&
	[ "$(cat "$FAKE/installed")" = 1.1-1 ] && [ "$(wc -l < "$T/patches/series")" = 2 ] &&
	has "$out" "series: 2 passed, 0 failed" &&
	[ -z "$(git -C "$(tree 1.1-1)" worktree list | sed 1d)" ] &&
	! git -C "$(tree 1.1-1)" rev-parse -q --verify rebase-from-1.0-1 >/dev/null
ok "rebase.sh merges moved context, exports the series and pins the version" $? "$(cat "$out")"

# 15. The rebased series applies exactly on the new base, and the new
#     tree is the pinned one.
"$S/prepare-tree.sh" >"$out" 2>&1
r=$?
a=$(tree 1.1-1)/drivers/a.c
[ $r = 0 ] && grep -qx TWO "$a" && grep -qx FOUR "$a" && grep -qx 'six and a half' "$a"
ok "the rebased series applies exactly on the new pin" $? "$(cat "$out")"

# 16. The old pin's series no longer applies to the new base exactly, so
#     the rebase was needed (the test's own premise).
(cd "$(tree 1.1-1)" && GIT_INDEX_FILE=$T/index git read-tree base &&
	! GIT_INDEX_FILE=$T/index git apply --cached --check "$T/patches0/0001-a-shout-four.patch" 2>/dev/null)
ok "the toy's 1.1-1 moves context (the series needs the merge)" $?

# 17. rebase.sh onto the pinned version is refused.
"$S/rebase.sh" 1.1-1 >"$out" 2>&1
r=$?
[ $r != 0 ] && has "$out" "already based on linux-source-6.12 1.1-1"
ok "rebase.sh onto the pinned version is refused" $? "$(cat "$out")"

echo "# Totals: pass:$pass fail:$fail skip:0"
[ $fail = 0 ]
