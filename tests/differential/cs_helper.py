#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Helpers for the CrowdSec side of Phalanx's differential check (tests/differential/).

CrowdSec 1.4.6 is the reference being compared. This file does the parts that need a real YAML
and JSON parser, so that the shell scripts stay readable:

  resolve  HUB COLLECTION...          items of the collections, through the hub's .index.json
  install  HUB CFGDIR COLLECTION...   copy those items into a private config dir, 1.4.6-compatible
  extract  BUCKET_DUMP                (scenario, scope, value) lines from CrowdSec's bucket-dump.yaml
  phalanx  JSONL                      the same lines from `phalanx replay -o json`
  reason   CFGDIR < MESSAGE           one-line summary of a 1.4.6 load error
  loaded   CFGDIR                     names of the scenarios left in CFGDIR after refusals

Output lines are TAB-separated `scenario<TAB>scope<TAB>value`, one per (alert, source), so a
Range alert fed by three addresses counts three times, as the agent splits it before pushing.
Only python3 and python3-yaml (Debian packages) are needed.
"""

import base64
import json
import os
import shutil
import sys

import yaml

try:  # the C loader is ~10x faster on the large bucket dumps; fall back to pure Python
    Loader = yaml.CSafeLoader
except AttributeError:  # pragma: no cover
    Loader = yaml.SafeLoader

KINDS = ("parsers", "scenarios", "postoverflows")


def load_index(hub):
    with open(os.path.join(hub, ".index.json"), encoding="utf-8") as f:
        return json.load(f)


def resolve(hub, collections):
    """Walks collections recursively like cscli/hubtest: parsers, scenarios, postoverflows and
    sub-collections. Contexts (console context) and appsec items do not exist in 1.4.6 and do not
    change alerts, so they are skipped. Returns [(kind, name, path, stage)] in a stable order."""
    idx = load_index(hub)
    seen, out = set(), []

    def walk(kind, name):
        if (kind, name) in seen:
            return
        seen.add((kind, name))
        item = idx.get(kind, {}).get(name)
        if item is None:
            sys.exit(f"cs_helper: {kind[:-1]} {name!r} is not in {hub}/.index.json")
        if kind == "collections":
            for sub in KINDS + ("collections",):
                for n in item.get(sub) or []:
                    walk(sub, n)
            return
        if kind in KINDS:
            path = item["path"]
            # parsers/<stage>/<author>/<name>.yaml: the stage is the third-from-last component
            stage = item.get("stage") or (path.split("/")[-3] if kind != "scenarios" else "")
            out.append((kind, name, path, stage))

    for c in collections:
        walk("collections", c)
    out.sort()
    return out


def flatten_labels(doc):
    """1.4.6 decodes scenario `labels` as map[string]string (strict yaml.v2), so the hub's
    list-valued labels (`classification: [attack.T1110]`) make the whole file fail to load.
    Labels other than `remediation` only decorate the alert, so joining lists into a string keeps
    the detection logic (and so the (scenario, source) triples) unchanged."""
    labels = doc.get("labels") if isinstance(doc, dict) else None
    if not isinstance(labels, dict):
        return False
    changed = False
    for k, v in list(labels.items()):
        if isinstance(v, (list, dict)):
            labels[k] = ",".join(map(str, v)) if isinstance(v, list) else json.dumps(v)
            changed = True
    return changed


def strip_data_cache_keys(doc):
    """1.4.6's types.DataSource has only source_url, dest_file and type; the hub now adds LRU
    cache settings (`strategy`, `size`, `ttl`, `cache`) that only bound a memoisation cache of
    RegexpInFile, and strict decoding rejects them. Dropping them changes no match."""
    changed = False
    for entry in (doc.get("data") or []) if isinstance(doc, dict) else []:
        if isinstance(entry, dict):
            for k in [k for k in entry if k not in ("source_url", "dest_file", "type")]:
                del entry[k]
                changed = True
    return changed


def data_files(docs):
    for d in docs:
        if isinstance(d, dict):
            for entry in d.get("data") or []:
                if isinstance(entry, dict) and entry.get("dest_file"):
                    yield entry["dest_file"], os.path.basename(entry.get("source_url") or "")


def install(hub, cfgdir, collections):
    """Copies (not symlinks: scenario files may be rewritten, and the hub is shared and read-only)
    every item into CFGDIR the way cscli lays them out: parsers/<stage>/<file>,
    scenarios/<file>, postoverflows/<stage>/<file>. Multi-document scenario files are split into
    one file per document so that a document 1.4.6 refuses can be dropped alone. Data files named
    by `data:` come from the hub's data/ (the agent never downloads; cscli would have)."""
    datadir = os.path.join(cfgdir, "data")
    os.makedirs(datadir, exist_ok=True)
    manifest = []
    for kind, name, path, stage in resolve(hub, collections):
        src = os.path.join(hub, path)
        base = os.path.basename(path)
        with open(src, encoding="utf-8") as f:
            text = f.read()
        docs = [d for d in yaml.load_all(text, Loader=Loader) if d is not None]
        for df, url_name in data_files(docs):
            # The hub's data/ mirrors the download server, so a file is stored under the name of
            # its source_url, which can differ from dest_file (rnds_seo_bots.regex is saved as
            # rdns_seo_bots.regex).
            cands = [os.path.join(hub, "data", n) for n in (df, url_name) if n]
            s = next((c for c in cands if os.path.exists(c)), None)
            if s:
                shutil.copyfile(s, os.path.join(datadir, df))
            elif not df.endswith(".mmdb"):
                # GeoLite2 databases are not in the hub (licensed downloads): geoip enrichment
                # is off on both sides, which changes no Ip-scope alert.
                print(f"cs_helper: {name}: data file {df} not in the hub's data/", file=sys.stderr)
        dst_dir = os.path.join(cfgdir, kind, stage) if stage else os.path.join(cfgdir, kind)
        os.makedirs(dst_dir, exist_ok=True)
        if kind == "scenarios":
            stem = base[: -len(".yaml")] if base.endswith(".yaml") else base
            for i, d in enumerate(docs):
                flatten_labels(d)
                strip_data_cache_keys(d)
                # stem__NN keeps the documents of one file adjacent and in order (load order)
                fn = f"{stem}__{i:02d}.yaml" if len(docs) > 1 else base
                with open(os.path.join(dst_dir, fn), "w", encoding="utf-8") as f:
                    yaml.safe_dump(d, f, sort_keys=False, allow_unicode=True, width=1 << 16)
                manifest.append((kind, name, d.get("name", "?"), os.path.join(dst_dir, fn)))
        else:
            # Parsers and postoverflows stay whole files (a refused one is refused whole), copied
            # byte for byte unless a data: entry needs the cache-key shim.
            if any([strip_data_cache_keys(d) for d in docs]):
                with open(os.path.join(dst_dir, base), "w", encoding="utf-8") as f:
                    yaml.safe_dump_all(docs, f, sort_keys=False, allow_unicode=True, width=1 << 16)
            else:
                shutil.copyfile(src, os.path.join(dst_dir, base))
            manifest.append((kind, name, name, os.path.join(dst_dir, base)))
    with open(os.path.join(cfgdir, "items.tsv"), "w", encoding="utf-8") as f:
        for row in manifest:
            f.write("\t".join(row) + "\n")


def loaded(cfgdir):
    names = []
    sdir = os.path.join(cfgdir, "scenarios")
    for fn in sorted(os.listdir(sdir)) if os.path.isdir(sdir) else []:
        with open(os.path.join(sdir, fn), encoding="utf-8") as f:
            for d in yaml.load_all(f, Loader=Loader):
                if isinstance(d, dict) and d.get("name"):
                    names.append(d["name"])
    for n in sorted(set(names)):
        print(n)


def g(obj, *keys):
    """Field lookup tolerant of the key spellings of the dumps: yaml.v2 lower-cases Go field
    names (`overflow`, `alert`), while json tags (`scenario`, `scope`) stay as written."""
    for k in keys:
        if isinstance(obj, dict):
            for cand in (k, k.lower(), k[:1].lower() + k[1:]):
                if cand in obj:
                    obj = obj[cand]
                    break
            else:
                return None
        else:
            return None
    return obj


def extract(dump):
    with open(dump, encoding="utf-8") as f:
        events = yaml.load(f, Loader=Loader) or []
    rows, skipped_wl = [], 0
    for evt in events:
        if g(evt, "Whitelisted"):
            # bucket-dump.yaml is written before the output stage drops whitelisted overflows
            skipped_wl += 1
            continue
        alert = g(evt, "Overflow", "Alert")
        if not alert:
            continue
        scenario = g(alert, "Scenario") or ""
        sources = g(evt, "Overflow", "Sources") or {}
        if sources:
            for key, src in sources.items():
                scope = g(src, "Scope") or ""
                value = g(src, "Value") or key
                rows.append((scenario, scope, value))
        else:
            src = g(alert, "Source") or {}
            rows.append((scenario, g(src, "Scope") or "", g(src, "Value") or ""))
    for r in sorted(rows):
        print("\t".join(map(str, r)))
    if skipped_wl:
        print(f"cs_helper: {skipped_wl} whitelisted overflow(s) left out", file=sys.stderr)


def phalanx(path):
    rows = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                a = json.loads(line)
            except json.JSONDecodeError as e:
                sys.exit(f"cs_helper: {path}:{n}: not JSON ({e})")
            if not isinstance(a, dict) or "scenario" not in a or "source" not in a:
                # Not an alert in the LAPI shape (e.g. a parsed event, from a phalanx that
                # predates the scenario engine): refuse rather than compare garbage.
                sys.exit(f"cs_helper: {path}:{n}: not an alert object (no scenario/source): "
                         f"{line[:160]}")
            src = a.get("source") or {}
            rows.append((a.get("scenario", ""), src.get("scope", ""), src.get("value", "")))
    for r in sorted(rows):
        print("\t".join(map(str, r)))


def reason(msg, cfgdir):
    """Shortens a 1.4.6 fatal message to one line that keeps the cause: compile errors quote
    the whole expression first, so keep the expression's first line and the error after it."""
    import re
    msg = msg.replace(cfgdir.rstrip("/") + "/", "")
    m = re.search(r"^(.*?)'(.*)' (?:in \S+ : |failed: )(.*)$", msg, re.S)
    if m:
        expr = m.group(2).split("\\n")[0].strip()
        err = m.group(3).split("\\n")[0].strip()
        return f"{m.group(1)}'{expr[:60]}...': {err}"
    return re.sub(r"\\n\s*", " | ", msg)[:400]


def main(argv):
    if len(argv) < 2:
        sys.exit(__doc__)
    cmd, args = argv[1], argv[2:]
    if cmd == "resolve":
        for row in resolve(args[0], args[1:]):
            print("\t".join(row))
    elif cmd == "install":
        install(args[0], args[1], args[2:])
    elif cmd == "loaded":
        loaded(args[0])
    elif cmd == "extract":
        extract(args[0])
    elif cmd == "phalanx":
        phalanx(args[0])
    elif cmd == "reason":
        print(reason(sys.stdin.read().strip(), args[0]))
    elif cmd == "b64":  # decode a collection's content (debugging aid)
        idx = load_index(args[0])
        print(base64.b64decode(idx["collections"][args[1]]["content"]).decode())
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
