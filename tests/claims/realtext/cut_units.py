"""Cut a text into reader units: headings, bullets, sentences (my own rules, not the checker's)."""
import re, sys, pathlib

ABBR = ("e.g.", "i.e.", "et al.", "vs.", "Dr.", "U.S.", "No.", " M.", "Fig.")
BULLET = re.compile(r"^\s*(?:[-•*]|\d+\.)\s+")

def paragraphs(text):
    lines = text.split("\n")
    paras, cur = [], []
    for ln in lines:
        if not ln.strip():
            if cur: paras.append(cur); cur = []
            continue
        if (cur and len(cur[-1]) >= 90 and not re.search(r"[.!?:)]\s*$", cur[-1]) and not BULLET.match(cur[-1])
                and (ln[:1].islower() or re.search(r"\b(The|the|a|an|of|to)$", cur[-1].rstrip()))):
            cur[-1] = cur[-1].rstrip() + " " + ln.strip()   # hard-wrapped line
            continue
        if cur and len(cur[-1]) >= 90 and re.search(r"\]\s*$", cur[-1]) and not BULLET.match(ln) and False:
            pass
        if cur: paras.append(cur)
        cur = [ln]
    if cur: paras.append(cur)
    return [p[0] for p in paras]

def sentences(p):
    s = p.strip()
    out, start, i = [], 0, 0
    while i < len(s):
        ch = s[i]
        if ch in ".!?":
            j = i + 1
            while j < len(s) and s[j] in "\"”’)":
                j += 1
            # citation like (Blanpied et al. 2017). or .1 footnote digits
            while j < len(s) and s[j] == "[":
                m = re.match(r"\[\d+\]", s[j:])
                if not m: break
                j += m.end()
            junk = 0
            while j < len(s) and s[j] in "\u00ac\u2020\u00a0":
                j += 1; junk = 1
            if junk and j < len(s) and s[j] != " ":
                s = s[:j] + " " + s[j:]
            k = j
            while k < len(s) and s[k].isdigit() and ch == "." and (k + 1 >= len(s) or not s[k+1].isdigit()) and (k+1 >= len(s) or s[k+1] in " \n"):
                k += 1
            nxt = s[k:k+1]
            before = s[max(0, i-6):i+1]
            if any(before.endswith(a) for a in ABBR):
                i += 1; continue
            if ch == "." and i > 0 and s[i-1].isdigit() and nxt.isdigit():
                i += 1; continue
            if k >= len(s):
                break
            if nxt == " " or (nxt.isupper() and ch == "."):
                rest = s[k:].lstrip()
                if rest and (rest[0].isupper() or rest[0] in "\"“‘(" or rest[0].isdigit()):
                    out.append(s[start:k].strip()); start = k
                    i = k; continue
        i += 1
    tail = s[start:].strip()
    if tail: out.append(tail)
    return out

def is_title(p):
    p = p.strip()
    words = [w for w in re.findall(r"[A-Za-z’']+", p) if len(w) >= 4]
    return len(p) <= 100 and words and all(w[0].isupper() for w in words)

CITE = re.compile(r"^\((?:https?://\S+|[^()]*\bet al\.?[^()]*\d{4})\)\.?$")

def units(text):
    res = []
    for p in paragraphs(text):
        if BULLET.match(p) or is_title(p):
            res.append(p.strip()); continue
        for u in sentences(p):
            if res and CITE.match(u):
                res[-1] = res[-1] + " " + u
            elif res and re.match(r"^\(https?://\S+\)\s+\S", u):
                cite, rest = u.split(" ", 1)
                res[-1] = res[-1] + " " + cite
                res.append(rest)
            else:
                res.append(u)
    return [u for u in res if u]

if __name__ == "__main__":
    for f in sys.argv[1:]:
        print("==", pathlib.Path(f).stem)
        for n, u in enumerate(units(pathlib.Path(f).read_text(encoding="utf-8")), 1):
            print(f"{n:3d} {u}")
