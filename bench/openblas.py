"""Which OpenBLAS kernels the peers (NumPy, and PyTorch's matmuls: Debian's torch links the system
libblas.so.3, i.e. OpenBLAS) run with, so that they get the best the CPU supports.

OpenBLAS built with DYNAMIC_ARCH (Debian's) picks its kernels from the CPU's family/model. A CPU
newer than the library (e.g. OpenBLAS 0.3.21 on an Emerald Rapids Xeon, family 6 model 207) is not
recognized and gets the SSE3 "Prescott" kernels: the peers would look several times slower than
they are. choose() asks the peers' python (threadpoolctl) what OpenBLAS picked with
OPENBLAS_CORETYPE unset; if that is below the ISA lscpu's flags show, it sets the best core type
the flags allow (OpenBLAS's names: avx512f+bw+vl+dq -> SkylakeX, with avx512_bf16 -> Cooperlake;
avx2+fma -> Haswell; avx -> Sandybridge), checks that OpenBLAS then reports it, and else tries the
next one down. AMD and other vendors are left to OpenBLAS's own detection. Standard library only.
"""
import json
import subprocess

# OpenBLAS core names (openblas_get_corename(), as threadpoolctl reports them) by the widest ISA
# their kernels use: 3 AVX-512, 2 AVX2+FMA, 1 AVX, 0 SSE (any name not listed).
_RANK = {"skylakex": 3, "cooperlake": 3, "sapphirerapids": 3,
         "haswell": 2, "zen": 2, "excavator": 2,
         "sandybridge": 1, "bulldozer": 1, "piledriver": 1, "steamroller": 1}
_AVX512 = ("avx512f", "avx512bw", "avx512vl", "avx512dq")

PROBE = ("import json, numpy\n"
         "try:\n    import torch\nexcept ImportError:\n    pass\n"
         "from threadpoolctl import threadpool_info\n"
         "print(json.dumps([i for i in threadpool_info() if i.get('internal_api') == 'openblas']))")


def rank(core):
    return _RANK.get((core or "").lower(), 0)


def candidates(flags, vendor):
    """OpenBLAS core types for an Intel CPU with these lscpu flags (a set), best first; [] for
    other vendors (left to OpenBLAS's detection) and for CPUs without AVX."""
    if vendor != "GenuineIntel":
        return []
    out = []
    if all(f in flags for f in _AVX512):
        out += (["Cooperlake"] if "avx512_bf16" in flags else []) + ["SkylakeX"]
    if "avx2" in flags and "fma" in flags:
        out.append("Haswell")
    if "avx" in flags:
        out.append("Sandybridge")
    return out


def probe(python, env_prefix):
    """The OpenBLAS libraries the peers' python loads (numpy and torch imported) under
    `env_prefix` (an `env ...` argv prefix): threadpoolctl's dicts, or raises RuntimeError."""
    p = subprocess.run(env_prefix + [python, "-c", PROBE], capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(f"run_bench: could not ask OpenBLAS for its core type "
                           f"({python}, exit {p.returncode}): {p.stderr.strip()[-500:]}")
    return json.loads(p.stdout.strip().splitlines()[-1])


def _archs(libs):
    return sorted({i.get("architecture") or "?" for i in libs})


def choose(python, base_env, flags, vendor, log=lambda m: None):
    """The peers' OpenBLAS core type. base_env: the `env -u ...` prefix the peers run with (it
    unsets OPENBLAS_CORETYPE); flags: the set of lscpu's flags; vendor: lscpu's Vendor ID.
    Returns {"autodetected", "coretype" (the OPENBLAS_CORETYPE to set, or None), "used",
    "reason", "version", "tried"}."""
    libs = probe(python, base_env)
    if not libs:
        return {"autodetected": None, "coretype": None, "used": None, "tried": [],
                "version": None, "reason": "the peers load no OpenBLAS"}
    auto = _archs(libs)
    res = {"autodetected": ", ".join(auto), "coretype": None, "used": ", ".join(auto),
           "version": libs[0].get("version"), "tried": []}
    cands = candidates(flags, vendor)
    best = max((rank(c) for c in cands), default=0)
    if not cands or min(rank(a) for a in auto) >= best:
        res["reason"] = ("autodetected" if vendor == "GenuineIntel" or not flags else
                         f"autodetected (left to OpenBLAS on this {vendor or 'non-Intel'} CPU)")
        return res
    for c in cands:
        got = _archs(probe(python, base_env + [f"OPENBLAS_CORETYPE={c}"]))
        res["tried"].append({"coretype": c, "reported": ", ".join(got)})
        if got == [c]:
            rejected = [t["coretype"] for t in res["tried"][:-1]]
            res.update(coretype=c, used=c, reason=f"because autodetection fell back to "
                       f"{res['autodetected']} on a CPU whose flags allow {c}" + (
                           f"; OpenBLAS {res['version']} did not take " + ", ".join(rejected)
                           if rejected else ""))
            log(f"OpenBLAS: autodetection picked {res['autodetected']}; peers run with "
                f"OPENBLAS_CORETYPE={c} (verified)")
            return res
        log(f"OpenBLAS: OPENBLAS_CORETYPE={c} reported {', '.join(got)}; trying the next one")
    res["reason"] = (f"autodetected {res['autodetected']}, below what the CPU's flags allow, but "
                     "OpenBLAS accepted none of " + ", ".join(cands))
    log("OpenBLAS: " + res["reason"])
    return res


def check_worker(worker, want):
    """A peer worker (benchutil.Worker of peers.py --serve) must run the OpenBLAS kernels the
    report names (choose()'s "used")."""
    got = ", ".join(sorted({b[2] or "?" for b in worker.info.get("blas", [])}))
    if want and got and got != want:
        raise RuntimeError(f"{worker.label}: OpenBLAS reports core type {got}, expected {want} "
                           f"({' '.join(worker.cmd[:8])} ...)")


def describe(o):
    """The report's words for choose()'s result (follows "BLAS openblas 0.3.21 (X kernels)")."""
    if o.get("coretype"):
        return (f"core type {o['coretype']} set with `OPENBLAS_CORETYPE={o['coretype']}`, "
                f"{o['reason']} (checked with threadpoolctl)")
    return f"core type {o.get('used') or '?'}: {o.get('reason', 'autodetected')}"
