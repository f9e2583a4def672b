#!/usr/bin/env python3
"""Recover files from a cairn repository without cairn.

Reads a local copy of a repository directory (e.g. after `aws s3 sync`) with
the restore identity file, using only the Python 3 standard library and the
`age` and `zstd` command-line tools. Everything it relies on is specified in
docs/FORMAT.md; section names below (§...) refer to that document.

    python3 tools/recover.py --repo DIR --identity id.txt snapshots [--json]
    python3 tools/recover.py --repo DIR --identity id.txt restore SNAPSHOT|latest TARGET [--include PATH]...

It verifies what it reads (object SHA-256 names, sealed-object MACs, blob
IDs), restores what it can, and names every damaged object. Exit codes:
0 everything restored, 1 something was not restored (or the repository could
not be opened), 2 usage error.
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Optional, Union

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
MAC_LENGTH = 32
HEX64 = re.compile(r"^[0-9a-f]{64}$")
BLOB_DATA, BLOB_TREE, BLOB_SKELETON = 0, 1, 2
PACK_MAGIC = b"CAIRNPK1"
PACK_ENTRY_SIZE = 42
NAME_MAX = 255
# Decrypted packs (and their decompressed blobs) kept in memory: a restore walks
# files in tree order, so it mostly reads one pack after another.
PACK_CACHE_BYTES = 384 * 1024 * 1024
# The largest JSON body a reader parses (§Index, Decoding rules), and the largest blob (§Packs, Decoding rules).
MAX_JSON = 256 * 1024 * 1024
MAX_BLOB = 256 * 1024 * 1024
# No zstd data expands more: a block regenerates at most 128 KiB and takes at least 4 bytes.
MAX_ZSTD_EXPANSION = 32768
AGE_MAX_HEADER = 65536
AGE_NONCE, AGE_TAG, AGE_SEALED_CHUNK = 16, 16, 65536 + 16
# §Layout: the only keys that are objects of the format; anything else is a stray object, never read.
OBJECT_KEY = re.compile(r"^(?:(?:keys|index|snapshots|prune)/[0-9a-f]{64}|(?:data|meta)/([0-9a-f]{2})/(\1[0-9a-f]{62}))$")
AGE_NO_MATCH = "no identity matched"


class UsageProblem(Exception):
    """A mistake on the command line (exit 2)."""


class RecoverError(Exception):
    """The repository cannot be used at all (exit 1)."""


class Damaged(Exception):
    """One object or blob could not be read or failed verification."""


# --------------------------------------------------------------------------
# External tools


def run_tool(argv: list[str], data: Optional[bytes] = None, limit: Optional[int] = None) -> tuple[int, bytes, str]:
    """Runs a tool, feeding `data` on stdin; returns (exit code, stdout, stderr).

    With `limit`, reading stops and the tool is killed once stdout exceeds it
    (the exit code is then -1): a zstd bomb cannot exhaust memory.
    """
    try:
        proc = subprocess.Popen(argv, stdin=subprocess.PIPE if data is not None else subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    except FileNotFoundError:
        raise RecoverError(f"`{argv[0]}` is not installed (or not on PATH); install it (Debian: apt-get install {argv[0]})")
    err_chunks: list[bytes] = []
    threads = [threading.Thread(target=lambda: err_chunks.append(proc.stderr.read()), daemon=True)]  # type: ignore[union-attr]
    if data is not None:
        def feed() -> None:
            try:
                proc.stdin.write(data)  # type: ignore[union-attr]
                proc.stdin.close()  # type: ignore[union-attr]
            except (BrokenPipeError, OSError):
                pass
        threads.append(threading.Thread(target=feed, daemon=True))
    for t in threads:
        t.start()
    out = bytearray()
    exceeded = False
    while True:
        piece = proc.stdout.read(1 << 20)  # type: ignore[union-attr]
        if not piece:
            break
        out += piece
        if limit is not None and len(out) > limit:
            exceeded = True
            proc.kill()
            break
    proc.stdout.close()  # type: ignore[union-attr]
    code = proc.wait()
    for t in threads:
        t.join()
    stderr = b"".join(err_chunks).decode("utf-8", "replace").strip()
    return (-1 if exceeded else code), bytes(out), stderr


def first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return line.strip().removeprefix("age: ").removeprefix("error: ")
    return "(no message)"


def age_decrypt_file(path: Path, identity: Path) -> tuple[int, bytes, str]:
    return run_tool(["age", "-d", "-i", str(identity), str(path)])


def age_decrypt_bytes(data: bytes, identity: Path) -> tuple[int, bytes, str]:
    return run_tool(["age", "-d", "-i", str(identity)], data)


def zstd_decompress(frames: bytes, expected: int, what: str) -> bytes:
    """Decompresses one or more concatenated zstd frames that must expand to exactly `expected` bytes."""
    code, out, err = run_tool(["zstd", "-d", "-q", "-c"], frames, limit=expected)
    if code == -1:
        raise Damaged(f"{what}: zstd data expands beyond the {expected} bytes recorded")
    if code != 0:
        raise Damaged(f"{what}: corrupt zstd data ({first_line(err)})")
    if len(out) != expected:
        raise Damaged(f"{what}: zstd data expands to {len(out)} bytes, {expected} recorded")
    return out


# --------------------------------------------------------------------------
# Key material (§Keys): bech32, HKDF-SHA256, X25519 (RFC 7748), in pure Python

BECH32_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def bech32_decode(text: str) -> Optional[tuple[str, bytes]]:
    """BIP 173 bech32 (not bech32m), no length limit, as age uses it. None if invalid."""
    lower = text.lower()
    if text != lower and text != text.upper():
        return None
    sep = lower.rfind("1")
    if sep < 1 or sep + 7 > len(lower):
        return None
    hrp = lower[:sep]
    try:
        data = [BECH32_CHARSET.index(c) for c in lower[sep + 1:]]
    except ValueError:
        return None
    values = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp] + data
    chk = 1
    for v in values:
        top = chk >> 25
        chk = ((chk & 0x1FFFFFF) << 5) ^ v
        for i, g in enumerate((0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)):
            if (top >> i) & 1:
                chk ^= g
    if chk != 1:
        return None
    acc, bits, out = 0, 0, bytearray()
    for d in data[:-6]:
        acc = (acc << 5) | d
        bits += 5
        if bits >= 8:
            bits -= 8
            out.append((acc >> bits) & 0xFF)
            acc &= (1 << bits) - 1
    if bits >= 5 or acc != 0:
        return None
    return text[:sep], bytes(out)


def hkdf_sha256(ikm: bytes, salt: bytes, info: bytes) -> bytes:
    """RFC 5869 extract-then-expand, 32 bytes of output (one block)."""
    prk = hmac.new(salt, ikm, hashlib.sha256).digest()
    return hmac.new(prk, info + b"\x01", hashlib.sha256).digest()


def x25519_public(secret: bytes) -> bytes:
    """The X25519 public key of a 32-byte scalar (RFC 7748, base point 9)."""
    p = 2**255 - 19
    k = bytearray(secret)
    k[0] &= 248
    k[31] &= 127
    k[31] |= 64
    scalar = int.from_bytes(k, "little")
    x1, x2, z2, x3, z3, swap = 9, 1, 0, 9, 1, 0
    for t in reversed(range(255)):
        bit = (scalar >> t) & 1
        if swap ^ bit:
            x2, x3, z2, z3 = x3, x2, z3, z2
        swap = bit
        a, b, c, d = x2 + z2, x2 - z2, x3 + z3, x3 - z3
        aa, bb = a * a % p, b * b % p
        e = aa - bb
        da, cb = d * a % p, c * b % p
        x3, z3 = (da + cb) ** 2 % p, x1 * (da - cb) ** 2 % p
        x2, z2 = aa * bb % p, e * (aa + 121665 * e) % p
    if swap:
        x2, z2 = x3, z3
    return (x2 * pow(z2, p - 2, p) % p).to_bytes(32, "little")


def parse_identity_file(text: str, what: str) -> bytes:
    """The 32-byte secret of the single AGE-SECRET-KEY-1 line of an identity file (`#` comments allowed)."""
    secrets = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        decoded = bech32_decode(line)
        if decoded is None or decoded[0].upper() != "AGE-SECRET-KEY-" or len(decoded[1]) != 32:
            raise Damaged(f"{what}: holds a line that is not an age X25519 identity")
        secrets.append(decoded[1])
    if len(secrets) != 1:
        raise Damaged(f"{what}: expected exactly one AGE-SECRET-KEY-1 line, found {len(secrets)}")
    return secrets[0]


@dataclass
class AgentKey:
    """The agent key's subkeys (§Keys): blob IDs and MACs."""
    secret: bytes
    id_key: bytes = field(init=False)
    mac_key: bytes = field(init=False)

    def __post_init__(self) -> None:
        self.id_key = hkdf_sha256(self.secret, b"cairn-v1", b"cairn blob-id")
        self.mac_key = hkdf_sha256(self.secret, b"cairn-v1", b"cairn mac")

    def mac(self, kind: str, body: bytes) -> bytes:
        return hmac.new(self.mac_key, kind.encode() + b"\x00" + body, hashlib.sha256).digest()

    def blob_id(self, blob_type: int, raw: bytes) -> str:
        return hmac.new(self.id_key, bytes([blob_type]) + raw, hashlib.sha256).hexdigest()


def js_json(value: Any) -> bytes:
    """ECMAScript JSON.stringify of strings, integers and arrays (§Key files: the MAC input)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


# --------------------------------------------------------------------------
# Names as restore treats them (§Trees; src/repository/format/safe-name.ts, display-path.ts)

NEEDS_ESCAPE = re.compile(r"[\x00-\x1f\x7f\\/]")


def utf8_sequence_length(raw: bytes, i: int) -> int:
    b = raw[i]
    n = 1 if b < 0x80 else 2 if 0xC2 <= b <= 0xDF else 3 if 0xE0 <= b <= 0xEF else 4 if 0xF0 <= b <= 0xF4 else 0
    if n <= 1 or i + n > len(raw):
        return 1 if n == 1 else 0
    try:
        raw[i:i + n].decode("utf-8")
        return n
    except UnicodeDecodeError:
        return 0


def display_name(raw: bytes) -> str:
    """Printable, unambiguous form of a raw name: invalid UTF-8, controls, `\\` and `/` become \\xNN."""
    try:
        text = raw.decode("utf-8")
        if not NEEDS_ESCAPE.search(text):
            return text
    except UnicodeDecodeError:
        pass
    out, i = [], 0
    while i < len(raw):
        n = utf8_sequence_length(raw, i)
        piece = raw[i:i + n].decode("utf-8") if n > 0 else ""
        out.append(piece if n > 0 and not NEEDS_ESCAPE.search(piece) else f"\\x{raw[i]:02x}")
        i += n if n > 0 else 1
    return "".join(out)


def name_problem(raw: bytes) -> Optional[str]:
    """Why a stored name is not exactly one safe path component, or None."""
    if len(raw) == 0:
        return "empty name in snapshot tree"
    if len(raw) > NAME_MAX:
        return f"name is {len(raw)} bytes, longer than {NAME_MAX}"
    if b"/" in raw:
        return "name contains '/'"
    if b"\x00" in raw:
        return "name contains a NUL byte"
    if raw in (b".", b".."):
        return f"name '{raw.decode()}' is not allowed"
    return None


def b64_field(node: dict[str, Any], text_key: str, b64_key: str) -> Optional[bytes]:
    """`nameB64`/`targetB64` (standard base64) or the UTF-8 of `name`/`target`; None when neither is present."""
    if b64_key in node:
        try:
            return base64.b64decode(node[b64_key], validate=True)
        except (ValueError, TypeError):
            raise Damaged(f"{b64_key} is not valid base64")
    if text_key in node:
        try:
            return node[text_key].encode("utf-8")
        except UnicodeEncodeError:
            raise Damaged(f"{text_key} holds a lone surrogate")
    return None


# --------------------------------------------------------------------------
# The repository


@dataclass
class Loc:
    """Where a blob is stored (§Index row): pack object key, offset in its plaintext, lengths, zstd flag."""
    pack: str
    offset: int
    length: int
    raw_length: int
    compressed: bool


@dataclass
class OpenedPack:
    plain: bytes
    raw: dict[int, bytes] = field(default_factory=dict)  # offset -> decompressed blob

    @property
    def cost(self) -> int:
        return len(self.plain) + sum(len(b) for b in self.raw.values())


class Repo:
    """A local repository directory opened with a restore identity."""

    def __init__(self, root: Path, identity: Path, workdir: Path) -> None:
        self.root = root
        self.identity = identity
        self.workdir = workdir
        self.damaged: dict[str, str] = {}
        self.warnings: list[str] = []
        self.locations: dict[str, list[Loc]] = {}
        self.pack_rows: dict[str, list[Loc]] = {}
        self.packs: "OrderedDict[str, OpenedPack]" = OrderedDict()
        self.strays: set[str] = set()
        self.scanned = False
        if not (root / "config").is_file():
            raise RecoverError(f"no cairn repository at {root} (no `config` object); give the directory that holds config, keys/, data/, ...")
        self.agent_file = workdir / "agent.key"
        self.data_file = workdir / "data.key"
        self.agent = self._unwrap_keys()
        self._check_config()

    # -- objects

    def note_damage(self, key: str, reason: str) -> None:
        known = self.damaged.get(key)
        if known is None:
            self.damaged[key] = reason
        elif reason not in known:
            self.damaged[key] = f"{known}; {reason}"

    def list_objects(self, prefix: str) -> list[str]:
        """Object keys under `prefix` (`snapshots`, `data`, ...), sorted; stray objects (§Layout) are named and passed by."""
        base = self.root / prefix
        if not base.is_dir():
            return []
        keys = []
        for dirpath, _dirs, files in os.walk(base):
            for name in files:
                key = Path(dirpath, name).relative_to(self.root).as_posix()
                if OBJECT_KEY.match(key):
                    keys.append(key)
                elif key not in self.strays:
                    self.strays.add(key)
                    self.warnings.append(f"{key}: a stray object (not cairn's, docs/FORMAT.md §Layout); ignored")
        return sorted(keys)

    def read_named(self, key: str) -> bytes:
        """An object's bytes, checked against the SHA-256 its name claims (§Layout)."""
        path = self.root / key
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise Damaged(f"{key}: missing")
        name = key.rsplit("/", 1)[-1]
        if HEX64.match(name) and hashlib.sha256(data).hexdigest() != name:
            reason = "SHA-256 of its bytes does not match its name (bit rot, truncation or tampering)"
            self.note_damage(key, reason)
            raise Damaged(f"{key}: {reason}")
        return data

    def unseal(self, key: str, kind: str) -> bytes:
        """The body of a sealed object (§Sealed objects): age to the agent key, MAC checked."""
        self.read_named(key)
        code, plain, err = age_decrypt_file(self.root / key, self.agent_file)
        if code != 0:
            reason = f"age cannot decrypt it with the agent key ({first_line(err)})"
            self.note_damage(key, reason)
            raise Damaged(f"{key}: {reason}")
        body, mac = plain[:-MAC_LENGTH], plain[-MAC_LENGTH:]
        if len(plain) < MAC_LENGTH or not hmac.compare_digest(self.agent.mac(kind, body), mac):
            reason = f"MAC mismatch: not a {kind} written with this repository's agent key, or tampered"
            self.note_damage(key, reason)
            raise Damaged(f"{key}: {reason}")
        return body

    # -- keys and config

    def _unwrap_keys(self) -> AgentKey:
        """§Key files: the newest key file the identity opens and whose MAC verifies under the agent key inside it."""
        files = []
        for key in self.list_objects("keys"):
            try:
                doc = json.loads(self.read_named(key))
                if not isinstance(doc, dict) or doc.get("version") != 1 or not isinstance(doc.get("seq"), int):
                    raise ValueError("not a version 1 key file")
                files.append((doc["seq"], key, doc))
            except (Damaged, ValueError) as e:
                self.note_damage(key, str(e).removeprefix(f"{key}: "))
        if not files:
            raise RecoverError(f"no usable key file in {self.root / 'keys'}" + self._damage_suffix())
        matched = False
        for _seq, key, doc in sorted(files, key=lambda f: -f[0]):
            try:
                agent = self._open_key_file(key, doc)
            except LookupError:
                continue
            except (Damaged, KeyError, TypeError, ValueError) as e:
                matched = True
                self.note_damage(key, str(e).removeprefix(f"{key}: "))
                continue
            return agent
        if matched:
            raise RecoverError("the identity opens a key file but none is intact" + self._damage_suffix())
        raise RecoverError(f"none of the identities in {self.identity} can open this repository's key files; "
                           "use the identity whose recipient was given to `cairn init` or `cairn key add`")

    def _open_key_file(self, key: str, doc: dict[str, Any]) -> AgentKey:
        code, agent_text, err = age_decrypt_bytes(base64.b64decode(doc["wrappedAgentKey"], validate=True), self.identity)
        if code != 0:
            if AGE_NO_MATCH in err:
                raise LookupError(key)
            raise Damaged(f"wrappedAgentKey cannot be decrypted ({first_line(err)})")
        agent = AgentKey(parse_identity_file(agent_text.decode("utf-8", "replace"), f"{key} wrappedAgentKey"))
        fields = [doc["version"], doc["seq"], doc["created"], doc["recipients"], doc["dataRecipient"], doc["wrappedAgentKey"], doc["wrappedDataIdentity"]]
        if not hmac.compare_digest(agent.mac("keys", js_json(fields)).hex(), str(doc.get("mac"))):
            raise Damaged("MAC mismatch: key file not written by the holder of the agent key it wraps, or tampered")
        code, data_text, err = age_decrypt_bytes(base64.b64decode(doc["wrappedDataIdentity"], validate=True), self.identity)
        if code != 0:
            raise Damaged(f"wrappedDataIdentity cannot be decrypted ({first_line(err)})")
        data_secret = parse_identity_file(data_text.decode("utf-8", "replace"), f"{key} wrappedDataIdentity")
        for r in list(doc["recipients"]) + [doc["dataRecipient"]]:
            decoded = bech32_decode(str(r))
            if decoded is None or decoded[0] != "age" or len(decoded[1]) != 32:
                raise Damaged(f"{str(r)[:80]!r} is not an age X25519 recipient")
        recipient = bech32_decode(str(doc["dataRecipient"]))
        if recipient is None or recipient[0] != "age" or recipient[1] != x25519_public(data_secret):
            raise Damaged("the wrapped data identity does not match dataRecipient")
        write_secret(self.agent_file, agent_text)
        write_secret(self.data_file, data_text)
        return agent

    def _check_config(self) -> None:
        try:
            config = json.loads(self.unseal("config", "config"))
        except (Damaged, ValueError) as e:
            self.warnings.append(f"config: {str(e).removeprefix('config: ')}; assuming format version 1")
            return
        if not isinstance(config, dict) or config.get("format") != "cairn":
            self.warnings.append("config: not a cairn config; assuming format version 1")
        elif config.get("version") != 1:
            raise RecoverError(f"repository format version {config.get('version')} is not supported by this tool (reads version 1)")

    def _damage_suffix(self) -> str:
        return "".join(f"\n  damaged: {k}: {v}" for k, v in self.damaged.items())

    # -- snapshots

    def snapshots(self) -> list[dict[str, Any]]:
        """Every readable snapshot record, oldest first (by time, then id); damaged ones are noted and skipped."""
        out = []
        for key in self.list_objects("snapshots"):
            try:
                record = json.loads(self.unseal(key, "snapshot"))
                if not isinstance(record, dict) or record.get("version") != 1 or not HEX64.match(str(record.get("tree"))):
                    raise ValueError("not a version 1 snapshot record")
            except (Damaged, ValueError) as e:
                self.note_damage(key, str(e).removeprefix(f"{key}: "))
                continue
            record["id"] = key.rsplit("/", 1)[-1]
            out.append(record)
        return sorted(out, key=lambda s: (str(s.get("time")), s["id"]))

    def find_snapshot(self, ref: str) -> dict[str, Any]:
        snaps = self.snapshots()
        if ref == "latest":
            if not snaps:
                raise RecoverError("the repository has no readable snapshot" + self._damage_suffix())
            return snaps[-1]
        hits = [s for s in snaps if s["id"].startswith(ref)]
        if len(hits) != 1:
            raise UsageProblem(f"{ref!r} matches {len(hits)} snapshots; list them with the `snapshots` command")
        return hits[0]

    # -- index

    def load_index(self) -> None:
        """§Index and §Prune: live index files, then the rows of prune marks, then superseded index files."""
        superseded: set[str] = set()
        mark_rows: list[dict[str, Any]] = []
        for key in self.list_objects("prune"):
            try:
                body = self.index_body(key, "prune")
            except Damaged:
                continue
            objects, packs = body.get("objects", []), body["packs"]
            superseded.update(str(o) for o in (objects if isinstance(objects, list) else []))
            mark_rows.extend(p for p in packs if p["blobs"])
        keys = self.list_objects("index")
        for key in [k for k in keys if k not in superseded] + ["<marks>"] + [k for k in keys if k in superseded]:
            if key == "<marks>":
                self.add_rows(mark_rows, "prune marks")
                continue
            try:
                self.add_rows(self.index_body(key, "index").get("packs", []), key)
            except Damaged:
                continue

    def index_body(self, key: str, kind: str) -> dict[str, Any]:
        """u8 flags || u32le JSON length || JSON (zstd when flag bit 0)."""
        body = self.unseal(key, kind)
        try:
            if len(body) < 5:
                raise Damaged("too short")
            length = int.from_bytes(body[1:5], "little")
            if length > MAX_JSON or (body[0] & 1 and length > (len(body) - 5) * MAX_ZSTD_EXPANSION):
                raise Damaged(f"claims {length} bytes of JSON")
            text = zstd_decompress(body[5:], length, key) if body[0] & 1 else body[5:]
            if len(text) != length:
                raise Damaged(f"holds {len(text)} bytes of JSON, its header says {length}")
            doc = json.loads(text)
            if not isinstance(doc, dict) or doc.get("version") != 1 or not isinstance(doc.get("packs"), list):
                raise Damaged("not a version 1 index body")
            # §Index, Decoding rules: one row out of range and the whole object is damaged, never half used.
            for i, p in enumerate(doc["packs"]):
                problem = pack_row_problem(p)
                if problem is not None:
                    raise Damaged(f"pack row {i}: {problem}")
            return doc
        except (Damaged, ValueError) as e:
            self.note_damage(key, str(e).removeprefix(f"{key}: "))
            raise Damaged(str(e))

    def add_rows(self, packs: list[Any], source: str) -> None:
        """Rows index_body checked (pack_row_problem): every field is in range."""
        for p in packs:
            pack = f"{p['kind']}/{p['id'][:2]}/{p['id']}"
            for _blob_type, blob_id, offset, length, raw_length, compressed in p["blobs"]:
                self.add_location(blob_id, Loc(pack, offset, length, raw_length, compressed == 1))

    def add_location(self, blob_id: str, loc: Loc) -> None:
        locs = self.locations.setdefault(blob_id, [])
        if loc not in locs:
            locs.append(loc)
            self.pack_rows.setdefault(loc.pack, []).append(loc)

    def scan_unindexed_packs(self) -> None:
        """Without an index entry, a pack's trailer (§Packs) lists its blobs: read every data pack no index lists."""
        self.scanned = True
        for key in self.list_objects("data"):
            if key in self.pack_rows:
                continue
            opened = self.open_pack(key)
            try:
                for blob_id, loc in parse_trailer(opened.plain, key):
                    self.add_location(blob_id, loc)
            except Damaged as e:
                self.note_damage(key, str(e).removeprefix(f"{key}: "))

    # -- packs and blobs

    def open_pack(self, key: str) -> OpenedPack:
        """The decrypted plaintext of a pack (cached); for a damaged pack, the prefix age could authenticate."""
        if key in self.packs:
            self.packs.move_to_end(key)
            return self.packs[key]
        try:
            self.read_named(key)
        except Damaged:
            if not (self.root / key).is_file():
                self.note_damage(key, "missing")
                raise
            # The damage is noted; age still authenticates and yields the chunks before it.
        identity = self.data_file if key.startswith("data/") else self.agent_file
        code, plain, err = age_decrypt_file(self.root / key, identity)
        if code != 0:
            self.note_damage(key, f"age stops at byte {len(plain)} of the plaintext ({first_line(err)})")
        opened = OpenedPack(plain)
        self._decompress_all(key, opened)
        self.packs[key] = opened
        while len(self.packs) > 1 and sum(p.cost for p in self.packs.values()) > PACK_CACHE_BYTES:
            self.packs.popitem(last=False)
        return opened

    def _decompress_all(self, key: str, opened: OpenedPack) -> None:
        """One zstd run for every compressed blob of the pack the index knows; on any error, blobs go one by one later."""
        locs = sorted({l.offset: l for l in self.pack_rows.get(key, []) if l.compressed and l.offset + l.length <= len(opened.plain)}.values(), key=lambda l: l.offset)
        if len(locs) < 2:
            return
        try:
            out = zstd_decompress(b"".join(opened.plain[l.offset:l.offset + l.length] for l in locs), sum(l.raw_length for l in locs), key)
        except Damaged:
            return
        pos = 0
        for l in locs:
            opened.raw[l.offset] = out[pos:pos + l.raw_length]
            pos += l.raw_length

    def read_blob(self, blob_id: str, blob_type: int) -> bytes:
        """A blob's raw bytes from any pack holding it, verified against its keyed ID (§Blob IDs)."""
        if blob_id not in self.locations and not self.scanned:
            self.scan_unindexed_packs()
        problems = []
        for loc in self.locations.get(blob_id, []):
            try:
                raw = self._blob_at(loc)
                if len(raw) != loc.raw_length or self.agent.blob_id(blob_type, raw) != blob_id:
                    raise Damaged(f"content in {loc.pack} does not match its id")
                return raw
            except Damaged as e:
                problems.append(str(e))
        if not problems:
            problems.append("in no index file and no pack trailer (the pack holding it is missing)")
        raise Damaged(f"blob {blob_id}: " + "; ".join(problems))

    def _blob_at(self, loc: Loc) -> bytes:
        try:
            opened = self.open_pack(loc.pack)
        except Damaged:
            raise Damaged(f"{loc.pack} is missing")
        if loc.offset + loc.length > len(opened.plain):
            reason = self.damaged.get(loc.pack, "lies beyond the end of the pack")
            raise Damaged(f"{loc.pack} is damaged ({reason})")
        if loc.offset in opened.raw and len(opened.raw[loc.offset]) == loc.raw_length:
            return opened.raw[loc.offset]
        stored = opened.plain[loc.offset:loc.offset + loc.length]
        return zstd_decompress(stored, loc.raw_length, f"in {loc.pack}") if loc.compressed else stored


def is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def blob_length_problem(length: int, raw_length: int, compressed: bool) -> Optional[str]:
    """§Packs, Decoding rules: lengths no blob can have (src/repository/format/pack-format.ts, blobLengthProblem)."""
    if raw_length > MAX_BLOB:
        return f"raw length {raw_length} exceeds the {MAX_BLOB}-byte limit of a blob"
    if not compressed and raw_length != length:
        return f"stored raw, yet its raw length {raw_length} differs from its stored length {length}"
    if compressed and raw_length > length * MAX_ZSTD_EXPANSION:
        return f"raw length {raw_length} is more than zstd can expand {length} stored bytes to"
    return None


def plain_capacity(size: int, header_length: int) -> int:
    """Plaintext bytes of an age file of `size` bytes with that header (§age files), or -1 when none has that size."""
    sealed = size - header_length - AGE_NONCE
    if sealed < AGE_TAG:
        return -1
    chunks = -(-sealed // AGE_SEALED_CHUNK)
    last = sealed - (chunks - 1) * AGE_SEALED_CHUNK
    if last < AGE_TAG or (chunks > 1 and last == AGE_TAG):
        return -1
    return sealed - chunks * AGE_TAG


def blob_row_problem(row: Any, kind: str, capacity: int) -> Optional[str]:
    if not isinstance(row, list) or len(row) != 6:
        return "not a row of 6 values"
    blob_type, blob_id, offset, length, raw_length, compressed = row
    if not is_int(blob_type) or blob_type not in (BLOB_DATA, BLOB_TREE, BLOB_SKELETON):
        return f"unknown blob type {blob_type!r}"
    if (blob_type == BLOB_SKELETON) != (kind == "meta"):
        return f"a blob of type {blob_type} cannot be in a {kind} pack"
    if not isinstance(blob_id, str) or not HEX64.match(blob_id):
        return "blob id is not 64 lower-case hex digits"
    if not all(is_int(v) and 0 <= v < 2**32 for v in (offset, length, raw_length)):
        return "offset, stored length and raw length must be integers below 2^32"
    if not is_int(compressed) or compressed not in (0, 1):
        return f"compressed flag {compressed!r} is neither 0 nor 1"
    problem = blob_length_problem(length, raw_length, compressed == 1)
    if problem is not None:
        return problem
    if offset + length > capacity:
        return f"bytes {offset} to {offset + length} lie beyond the {capacity} bytes of blobs the pack's size leaves room for"
    return None


def pack_row_problem(p: Any) -> Optional[str]:
    """§Index, Decoding rules (src/repository/format/pack-row.ts): why a pack row is out of range, or None."""
    if not isinstance(p, dict):
        return "a pack row is not an object"
    pid, kind, size, header_length, blobs = (p.get(k) for k in ("id", "kind", "size", "headerLength", "blobs"))
    if not isinstance(pid, str) or not HEX64.match(pid):
        return "pack id is not 64 lower-case hex digits"
    if kind not in ("data", "meta"):
        return f"pack {pid}: kind {kind!r} is neither data nor meta"
    if not is_int(size) or not 1 <= size <= 2**53 - 1:
        return f"pack {pid}: size {size!r} is not a positive integer"
    if not is_int(header_length) or not 1 <= header_length <= AGE_MAX_HEADER:
        return f"pack {pid}: header length {header_length!r} is not an integer from 1 to {AGE_MAX_HEADER}"
    if not isinstance(blobs, list):
        return f"pack {pid}: blobs is not a list"
    if not blobs:
        return None
    capacity = plain_capacity(size, header_length) - 12 - PACK_ENTRY_SIZE * len(blobs)
    if capacity < 0:
        return f"pack {pid}: size {size} cannot hold a {header_length}-byte header and {len(blobs)} blobs"
    for i, row in enumerate(blobs):
        problem = blob_row_problem(row, kind, capacity)
        if problem is not None:
            return f"pack {pid}, blob {i}: {problem}"
    return None


def parse_trailer(plain: bytes, key: str) -> list[tuple[str, Loc]]:
    """§Packs: blob entries from the end of a pack's plaintext, offsets implicit."""
    if len(plain) < 12 or plain[-8:] != PACK_MAGIC:
        raise Damaged(f"{key}: no pack trailer (truncated or damaged)")
    count = int.from_bytes(plain[-12:-8], "little")
    start = len(plain) - 12 - count * PACK_ENTRY_SIZE
    if start < 0:
        raise Damaged(f"{key}: trailer claims {count} blobs, more than fit")
    out, offset = [], 0
    for i in range(count):
        e = plain[start + i * PACK_ENTRY_SIZE:start + (i + 1) * PACK_ENTRY_SIZE]
        length, raw_length = int.from_bytes(e[34:38], "little"), int.from_bytes(e[38:42], "little")
        if e[0] not in (BLOB_DATA, BLOB_TREE, BLOB_SKELETON):
            raise Damaged(f"{key}: blob {i} has unknown type {e[0]}")
        problem = blob_length_problem(length, raw_length, bool(e[1] & 1))
        if problem is not None:
            raise Damaged(f"{key}: blob {i}: {problem}")
        out.append((e[2:34].hex(), Loc(key, offset, length, raw_length, bool(e[1] & 1))))
        offset += length
    if offset != start:
        raise Damaged(f"{key}: blob lengths sum to {offset}, trailer starts at {start}")
    return out


def write_secret(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


# --------------------------------------------------------------------------
# Trees (§Trees)

NODE_TYPES = {"file", "dir", "symlink", "fifo", "socket", "chardev", "blockdev"}
MTIME_NS = re.compile(r"^-?\d{1,30}$")


def load_tree(repo: Repo, tree_id: str) -> list[dict[str, Any]]:
    """A tree blob's nodes, shape-checked; names and targets are still hostile input."""
    raw = repo.read_blob(tree_id, BLOB_TREE)
    try:
        doc = json.loads(raw)
    except ValueError:
        raise Damaged(f"tree {tree_id}: not valid JSON")
    if not isinstance(doc, dict) or doc.get("version") != 1 or not isinstance(doc.get("nodes"), list):
        raise Damaged(f"tree {tree_id}: not a version 1 tree")
    for n in doc["nodes"]:
        ok = (isinstance(n, dict) and n.get("type") in NODE_TYPES and isinstance(n.get("mode"), int) and 0 <= n["mode"] <= 0o7777
              and isinstance(n.get("uid"), int) and isinstance(n.get("gid"), int) and MTIME_NS.match(str(n.get("mtimeNs")))
              and isinstance(n.get("content", []), list) and all(isinstance(c, str) and HEX64.match(c) for c in n.get("content", []))
              and (n.get("subtree") is None or HEX64.match(str(n["subtree"]))) and isinstance(n.get("size", 0), int) and n.get("size", 0) >= 0)
        if not ok:
            raise Damaged(f"tree {tree_id}: a node is malformed")
    return doc["nodes"]


class IncludeFilter:
    """--include paths as a tree of components; a child is restored whole ("all"), descended into, or skipped (None)."""

    def __init__(self) -> None:
        self.children: dict[str, IncludeFilter] = {}
        self.all = False
        self.matched = False

    @staticmethod
    def build(paths: list[str]) -> Union["IncludeFilter", str]:
        if not paths:
            return "all"
        root = IncludeFilter()
        for p in paths:
            node = root
            for c in [c for c in p.split("/") if c not in ("", ".")]:
                node = node.children.setdefault(c, IncludeFilter())
            node.all = True
        return "all" if root.all else root

    def child(self, raw: bytes) -> Union["IncludeFilter", str, None]:
        for component, sub in self.children.items():
            if raw == component.encode("utf-8", "surrogateescape") or display_name(raw) == component:
                sub.matched = True
                return "all" if sub.all else sub
        return None

    def unmatched(self, prefix: str = "") -> list[str]:
        out = []
        for component, sub in self.children.items():
            path = f"{prefix}/{component}"
            if not sub.matched:
                out.append(path)
            elif not sub.all:
                out.extend(sub.unmatched(path))
        return out


# --------------------------------------------------------------------------
# Restore (src/restore/*: the same rules, the same order)

CREATE_NEW = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW


@dataclass
class Entry:
    path: bytes
    display: str
    node: dict[str, Any]


@dataclass
class DirJob:
    tree: str
    path: bytes
    display: str
    filter: Union[IncludeFilter, str]
    ancestors: frozenset[str]


class Restorer:
    """Restores a snapshot's tree under `target` without ever writing outside it.

    Every name must be a single safe component; directories are descended into
    only when this run created them; symlinks are created after every file and
    directory exists; directory modes and mtimes are set last, deepest first.
    """

    def __init__(self, repo: Repo, target: bytes, ownership: bool) -> None:
        self.repo = repo
        self.target = target
        self.ownership = ownership
        self.errors: list[tuple[str, str]] = []
        self.warnings: list[tuple[str, str]] = []
        self.inodes: dict[str, bytes] = {}
        self.symlinks: list[Entry] = []
        self.dirs: list[Entry] = []
        self.counts = {"files": 0, "dirs": 0, "symlinks": 0, "hardlinks": 0, "bytes": 0}

    def run(self, root_tree: str, include: list[str]) -> None:
        flt = IncludeFilter.build(include)
        # A damaged root tree is fatal, and found before the target is created: nothing written.
        root_nodes = load_tree(self.repo, root_tree)
        os.makedirs(self.target, exist_ok=True)
        if os.listdir(self.target):
            self.warnings.append((os.fsdecode(self.target), "target is not empty; existing entries are kept, clashes reported"))
        stack: list[tuple[DirJob, Iterator[dict[str, Any]], set[bytes]]] = []
        stack.append((DirJob(root_tree, self.target, "", flt, frozenset()), iter(root_nodes), set()))
        while stack:
            job, nodes, seen = stack[-1]
            node = next(nodes, None)
            if node is None:
                stack.pop()
                continue
            raw = b""
            try:
                raw = b64_field(node, "name", "nameB64") or b""
                sub = self.restore_child(job, node, raw, seen)
            except (Damaged, OSError, ValueError, TypeError, KeyError) as e:
                self.errors.append((f"{job.display}/{display_name(raw)}", describe(e)))
                continue
            if sub is not None:
                try:
                    stack.append((sub, iter(load_tree(self.repo, sub.tree)), set()))
                except Damaged as e:
                    self.errors.append((sub.display, describe(e)))
        for e in self.symlinks:
            self.create_symlink(e)
        for e in reversed(self.dirs):
            self.apply_metadata(e)
        if flt != "all":
            assert isinstance(flt, IncludeFilter)
            for p in flt.unmatched():
                self.warnings.append((p, "include path matched nothing in the snapshot"))

    def restore_child(self, job: DirJob, node: dict[str, Any], raw: bytes, seen: set[bytes]) -> Optional[DirJob]:
        problem = name_problem(raw)
        if problem is not None:
            raise ValueError(problem)
        if raw in seen:
            raise ValueError("duplicate name in a snapshot directory; the first entry was kept")
        seen.add(raw)
        flt = "all" if job.filter == "all" else job.filter.child(raw)  # type: ignore[union-attr]
        if flt is None or (flt != "all" and node["type"] != "dir"):
            return None
        e = Entry(job.path + b"/" + raw, f"{job.display}/{display_name(raw)}", node)
        kind = node["type"]
        if kind == "dir":
            subtree = node.get("subtree")
            if subtree is not None and (subtree in job.ancestors or subtree == job.tree):
                raise ValueError("directory contains itself (tree cycle)")
            os.mkdir(e.path, 0o700)
            self.counts["dirs"] += 1
            self.dirs.append(e)
            return None if subtree is None else DirJob(subtree, e.path, e.display, flt, job.ancestors | {job.tree})
        if kind == "file":
            self.restore_file(e)
        elif kind == "symlink":
            if b64_field(node, "target", "targetB64") is None:
                raise ValueError("symlink without a target")
            self.symlinks.append(e)
        elif kind == "fifo":
            os.mkfifo(e.path, 0o600)
            self.apply_metadata(e)
        else:
            self.warnings.append((e.display, f"{kind} not restored (only files, directories, symlinks and fifos are)"))
        return None

    def restore_file(self, e: Entry) -> None:
        n = e.node
        inode = f"{n['dev']}:{n['ino']}" if n.get("links", 1) > 1 and "dev" in n and "ino" in n else None
        if inode is not None and inode in self.inodes:
            os.link(self.inodes[inode], e.path, follow_symlinks=False)
            self.counts["hardlinks"] += 1
            return
        self.write_file(e)
        if inode is not None:
            self.inodes[inode] = e.path
        self.counts["files"] += 1
        self.counts["bytes"] += n.get("size", 0)

    def write_file(self, e: Entry) -> None:
        """Create-only, never through a symlink; all-zero blobs become holes; removed again on any failure."""
        size = e.node.get("size", 0)
        fd = os.open(e.path, CREATE_NEW, 0o600)
        try:
            pos = 0
            for blob_id in e.node.get("content", []):
                blob = self.repo.read_blob(blob_id, BLOB_DATA)
                if blob.count(0) != len(blob):
                    view = memoryview(blob)
                    done = 0
                    while done < len(blob):
                        done += os.pwrite(fd, view[done:], pos + done)
                pos += len(blob)
                if pos > size:
                    break
            if pos != size:
                raise Damaged(f"content is {pos} bytes but the tree records {size}; file not restored")
            os.ftruncate(fd, size)
            self.apply_fd_metadata(fd, e)
        except BaseException:
            os.close(fd)
            try:
                os.unlink(e.path)
            except OSError:
                pass
            raise
        os.close(fd)

    def create_symlink(self, e: Entry) -> None:
        try:
            os.symlink(b64_field(e.node, "target", "targetB64") or b"", e.path)
        except (OSError, Damaged) as err:
            self.errors.append((e.display, describe(err)))
            return
        self.counts["symlinks"] += 1
        self.apply_metadata(e)

    def mode_bits(self, e: Entry) -> int:
        """setuid/setgid only when the owner is restored too."""
        return int(e.node["mode"]) & (0o7777 if self.ownership else 0o1777)

    def apply_fd_metadata(self, fd: int, e: Entry) -> None:
        try:
            if self.ownership:
                os.fchown(fd, e.node["uid"], e.node["gid"])
            os.fchmod(fd, self.mode_bits(e))
            t = int(e.node["mtimeNs"])
            os.utime(fd, ns=(t, t))
        except OSError as err:
            self.warnings.append((e.display, f"metadata not restored: {describe(err)}"))

    def apply_metadata(self, e: Entry) -> None:
        """Owner, mode, mtime on the entry itself (never following a symlink); chown first, it clears setuid."""
        try:
            if self.ownership:
                os.chown(e.path, e.node["uid"], e.node["gid"], follow_symlinks=False)
            # Only directories and fifos this run created get here; lstat guards against a swap for a symlink
            # (fchmodat's no-follow flag is not supported everywhere).
            if e.node["type"] != "symlink" and not stat.S_ISLNK(os.lstat(e.path).st_mode):
                os.chmod(e.path, self.mode_bits(e))
            t = int(e.node["mtimeNs"])
            os.utime(e.path, ns=(t, t), follow_symlinks=False)
        except (OSError, NotImplementedError) as err:
            self.warnings.append((e.display, f"metadata not restored: {describe(err)}"))


def describe(err: BaseException) -> str:
    if isinstance(err, FileExistsError):
        return "already exists in the target (or a case/Unicode twin of it does); restore into an empty or new directory"
    if isinstance(err, OSError):
        return f"{err.strerror or err} ({type(err).__name__})"
    return str(err)


# --------------------------------------------------------------------------
# Commands


def cmd_snapshots(repo: Repo, as_json: bool) -> int:
    snaps = repo.snapshots()
    if as_json:
        print(json.dumps(snaps, indent=2, ensure_ascii=False))
    else:
        for s in snaps:
            tags = f"  [{','.join(s.get('tags', []))}]" if s.get("tags") else ""
            print(f"{s['id'][:8]}  {s.get('time')}  {s.get('host')}  {','.join(s.get('paths', []))}{tags}")
        print(f"{len(snaps)} snapshot(s)")
    return report_damage(repo)


def cmd_restore(repo: Repo, ref: str, target: str, include: list[str], ownership: bool) -> int:
    snap = repo.find_snapshot(ref)
    repo.load_index()
    restorer = Restorer(repo, os.fsencode(os.path.abspath(target)), ownership)
    try:
        restorer.run(snap["tree"], include)
    except Damaged as e:
        raise RecoverError(f"snapshot {snap['id'][:8]}: the root tree cannot be read: {e}" + repo._damage_suffix())
    for path, message in restorer.warnings:
        print(f"warning: {path}: {message}", file=sys.stderr)
    for path, message in restorer.errors:
        print(f"error: {path}: {message}", file=sys.stderr)
    c = restorer.counts
    print(f"restored snapshot {snap['id'][:8]} to {target}: {c['files']} files, {c['dirs']} dirs, "
          f"{c['symlinks']} symlinks, {c['hardlinks']} hardlinks, {c['bytes']} bytes")
    # Damage this snapshot did not need (another snapshot's record, a salvaged pack) is named but does not fail the restore.
    report_damage(repo, affected=bool(restorer.errors))
    if restorer.errors:
        print(f"{len(restorer.errors)} entries not restored", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


def report_damage(repo: Repo, affected: bool = True) -> int:
    """Prints warnings and every damaged object by name; EXIT_FAILED when there is any damage."""
    for w in repo.warnings:
        print(f"warning: {w}", file=sys.stderr)
    for key, reason in repo.damaged.items():
        print(f"damaged: {key}: {reason}", file=sys.stderr)
    if repo.damaged and affected:
        print("fetch the damaged objects again from another copy of the repository if you have one, then run again", file=sys.stderr)
    elif repo.damaged:
        print("(nothing this command needed was lost to that damage)", file=sys.stderr)
    return EXIT_FAILED if repo.damaged else EXIT_OK


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        sys.exit(EXIT_USAGE)


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = Parser(prog="recover.py", description="List and restore cairn snapshots with only Python, age and zstd (docs/FORMAT.md).")
    p.add_argument("--repo", required=True, help="local copy of the repository directory (holds config, keys/, data/, ...)")
    p.add_argument("--identity", required=True, help="age identity file (AGE-SECRET-KEY-1...) whose recipient the repository was created for")
    sub = p.add_subparsers(dest="command", required=True, parser_class=Parser)
    s = sub.add_parser("snapshots", help="list snapshots, oldest first")
    s.add_argument("--json", action="store_true", help="JSON output: the full snapshot records with their ids")
    r = sub.add_parser("restore", help="restore a snapshot's files into TARGET (created if missing; should be empty)")
    r.add_argument("snapshot", help="snapshot id (or a unique prefix of it), or `latest`")
    r.add_argument("target", help="directory to restore into")
    r.add_argument("--include", action="append", default=[], metavar="PATH", help="restore only this snapshot path (repeatable)")
    r.add_argument("--no-owner", action="store_true", help="do not restore uid/gid even when running as root")
    return p.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    for tool in ("age", "zstd"):
        if shutil.which(tool) is None:
            print(f"recover.py: `{tool}` is not installed (or not on PATH); install it (Debian: apt-get install {tool})", file=sys.stderr)
            return EXIT_FAILED
    if not Path(args.repo).is_dir():
        print(f"recover.py: repository directory {args.repo} not found", file=sys.stderr)
        return EXIT_USAGE
    if not Path(args.identity).is_file():
        print(f"recover.py: identity file {args.identity} not found", file=sys.stderr)
        return EXIT_USAGE
    workdir = Path(tempfile.mkdtemp(prefix="cairn-recover-"))
    try:
        repo = Repo(Path(args.repo), Path(args.identity), workdir)
        if args.command == "snapshots":
            return cmd_snapshots(repo, args.json)
        ownership = os.geteuid() == 0 and not args.no_owner
        return cmd_restore(repo, args.snapshot, args.target, args.include, ownership)
    except UsageProblem as e:
        print(f"recover.py: {e}", file=sys.stderr)
        return EXIT_USAGE
    except RecoverError as e:
        print(f"recover.py: {e}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
