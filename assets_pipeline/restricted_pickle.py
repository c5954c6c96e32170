"""Read FLAME-style pickles without ``chumpy`` and without running arbitrary code.

Official FLAME (and SMPL) model files are Python-2 pickles whose arrays are partly stored as
``chumpy`` objects (``chumpy.ch.Ch`` and a few reordering nodes). ``chumpy`` does not install
on Python 3.11, and plain ``pickle.load`` on a downloaded file executes whatever callables
the file names. :func:`load_restricted` unpickles with an allow-list instead:

- numpy array/dtype/scalar reconstruction (``numpy.core.multiarray._reconstruct``,
  ``numpy.ndarray``, ``numpy.dtype``, ``numpy.core.multiarray.scalar``,
  ``numpy.core.numeric._frombuffer`` and their ``numpy._core`` twins) and ``_codecs.encode``
  (how Python 3 pickles ``bytes``);
- ``scipy.sparse`` CSC/CSR matrices (the ``J_regressor``), rebuilt from their stored
  ``data/indices/indptr`` arrays -- the scipy class is never instantiated from the file;
- ``chumpy`` classes, mapped to inert stand-ins that only record their pickled state; after
  loading, :func:`to_plain` turns ``Ch`` (its ``x`` array) and the pure reordering nodes
  (``Select``, ``Reshape``, ``transpose``, ``Concatenate``) into numpy arrays;
- the builtins ``set``/``frozenset``/``object`` and ``copyreg._reconstructor`` restricted to
  the stand-ins (Python-2 protocol-0/1 pickles create objects through it).

Anything else -- ``os.system``, ``builtins.eval``, ``subprocess``, any other class -- raises
``AssetError("refusing to unpickle <module.name>")`` before it is looked up.
"""

from __future__ import annotations

import io
import pickle
from pathlib import Path
from typing import Any

import numpy as np

from assets_pipeline.head_asset import AssetError

# Plain numpy reconstruction helpers, under both numpy 1.x and 2.x module names.
_NUMPY_CALLABLES: dict[tuple[str, str], Any] = {
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
}
for _mod in ("numpy.core.multiarray", "numpy._core.multiarray"):
    _NUMPY_CALLABLES[(_mod, "_reconstruct")] = np.core.multiarray._reconstruct
    _NUMPY_CALLABLES[(_mod, "scalar")] = np.core.multiarray.scalar
for _mod in ("numpy.core.numeric", "numpy._core.numeric"):
    _NUMPY_CALLABLES[(_mod, "_frombuffer")] = np.core.numeric._frombuffer

_SPARSE_MODULES = (
    "scipy.sparse",
    "scipy.sparse.csc",
    "scipy.sparse.csr",
    "scipy.sparse._csc",
    "scipy.sparse._csr",
    "scipy.sparse._arrays",
)
_SPARSE_CLASSES = ("csc_matrix", "csr_matrix", "csc_array", "csr_array")


class _Recorded:
    """Inert stand-in for a pickled class: keeps the state ``BUILD`` hands it, nothing else."""

    source_name = "?"

    def __new__(cls, *args, **kwargs):  # NEWOBJ passes the pickled args; ignore them
        return object.__new__(cls)

    def __setstate__(self, state):
        if isinstance(state, tuple) and len(state) == 2:  # (dict state, slot state)
            state = {**(state[0] or {}), **(state[1] or {})}
        self.state = state if isinstance(state, dict) else {"_state": state}


class _ChumpyNode(_Recorded):
    pass


class _SparseMatrix(_Recorded):
    pass


_STANDINS: dict[str, type[_Recorded]] = {}


def _standin(base: type[_Recorded], name: str) -> type[_Recorded]:
    if name not in _STANDINS:
        _STANDINS[name] = type(name.rsplit(".", 1)[-1], (base,), {"source_name": name})
    return _STANDINS[name]


def _safe_reconstructor(cls, base, state):
    """``copyreg._reconstructor`` limited to the stand-ins (base ``object``, no state)."""
    if not (isinstance(cls, type) and issubclass(cls, _Recorded)) or base is not object:
        raise AssetError(f"refusing to unpickle copyreg._reconstructor({cls!r}, {base!r})")
    if state is not None:
        raise AssetError("refusing to unpickle copyreg._reconstructor with a state argument")
    return cls.__new__(cls)


class RestrictedUnpickler(pickle.Unpickler):
    """``pickle.Unpickler`` that resolves only the allow-listed names (module docstring)."""

    def find_class(self, module: str, name: str):
        key = (module, name)
        if key in _NUMPY_CALLABLES:
            return _NUMPY_CALLABLES[key]
        if key == ("_codecs", "encode"):
            import codecs

            return codecs.encode
        if module in ("builtins", "__builtin__") and name in ("set", "frozenset", "object"):
            return {"set": set, "frozenset": frozenset, "object": object}[name]
        if module in ("copyreg", "copy_reg") and name == "_reconstructor":
            return _safe_reconstructor
        if module in _SPARSE_MODULES and name in _SPARSE_CLASSES:
            return _standin(_SparseMatrix, f"scipy.sparse.{name}")
        if module == "chumpy" or module.startswith("chumpy."):
            return _standin(_ChumpyNode, f"{module}.{name}")
        raise AssetError(f"refusing to unpickle {module}.{name}")


def loads_restricted(data: bytes) -> Any:
    """Unpickle ``data`` with :class:`RestrictedUnpickler` (Python-2 strings as latin-1)."""
    try:
        return RestrictedUnpickler(io.BytesIO(data), encoding="latin1").load()
    except AssetError:
        raise
    except Exception as exc:  # truncated stream, bad opcode, ...: not a readable pickle
        raise AssetError(f"not a readable pickle ({type(exc).__name__}: {exc})") from exc


def load_restricted(path: str | Path) -> Any:
    """Unpickle the file at ``path``; see :func:`loads_restricted`."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise AssetError(f"cannot read {path}: {exc.strerror or exc}") from exc
    try:
        return loads_restricted(data)
    except AssetError as exc:
        raise AssetError(f"{path}: {exc}") from None


def to_plain(obj: Any) -> Any:
    """Replace stand-ins by numpy arrays / scipy matrices, recursively through containers."""
    if isinstance(obj, dict):
        return {k: to_plain(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [to_plain(v) for v in obj]
    if isinstance(obj, tuple):
        return tuple(to_plain(v) for v in obj)
    if isinstance(obj, _SparseMatrix):
        return _sparse(obj)
    if isinstance(obj, _ChumpyNode):
        return _chumpy_array(obj)
    return obj


def _sparse(obj: _SparseMatrix):
    import scipy.sparse as sp

    s = obj.state
    try:
        shape = tuple(int(n) for n in s.get("_shape", s.get("shape")))
        args = (np.asarray(s["data"]), np.asarray(s["indices"]), np.asarray(s["indptr"]))
    except (KeyError, TypeError) as exc:
        raise AssetError(f"malformed sparse matrix in pickle ({exc})") from exc
    cls = sp.csr_matrix if "csr" in obj.source_name else sp.csc_matrix
    return cls(args, shape=shape)


def _chumpy_array(obj: _ChumpyNode) -> np.ndarray:
    s, kind = obj.state, obj.source_name.rsplit(".", 1)[-1]

    def term(name):
        if name not in s:
            raise AssetError(f"chumpy {obj.source_name} without its {name!r} term")
        v = to_plain(s[name])
        return np.asarray(v.toarray() if hasattr(v, "toarray") else v)

    if kind == "Ch":
        return term("x")
    if kind == "Select":
        out = term("a").ravel()[np.asarray(s["idxs"]).ravel()]
        return out.reshape(s["preferred_shape"]) if "preferred_shape" in s else out
    if kind == "Reshape":
        return term("a").reshape(s["newshape"])
    if kind == "transpose":
        return np.transpose(term("a"), axes=s.get("axes"))
    if kind == "Concatenate":
        names = s.get("dterms") or sorted(k for k in s if k[:1] == "m" and k[1:].isdigit())
        return np.concatenate([term(n) for n in names], axis=s.get("axis", 0))
    raise AssetError(f"unsupported chumpy expression {obj.source_name} (only arrays are read)")
