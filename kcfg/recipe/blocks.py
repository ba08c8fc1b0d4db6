"""The walk over a graph's layer entries that applies the input rules and expands blocks (RECIPE.md 3, 4.1).

A graph's `layers` and each copy of a block are *scopes*: names in a scope are its
entries (and a graph's inputs, or what a use feeds a block's inputs). A use
`{block: down, filters: 64}` is expanded in place: the block's layers are copied with
`${params.NAME}` substituted and named `<entry>_<layer>` (`<entry>_<i>_<layer>` with
`repeat:`), and the entry's own name then stands for the block's outputs. The walk first
makes every scope's names known (so entries may read entries written after them), then
resolves what each step reads. Misuses are reported where they were written: on the
use, or on the block's own lines.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from kcfg.recipe.block_params import Parameters
from kcfg.recipe.errors import KeyPath
from kcfg.recipe.graph_scope import Pending, Scope, entry_of, fixed, unknown_name
from kcfg.recipe.report import Report
from kcfg.recipe.schema import Block, LayerSpec
from kcfg.recipe.steps import BlockUse, InputRule, Origin, Reference, Step, call_references, call_texts
from kcfg.recipe.suggest import did_you_mean


class GraphWalk:
    """Plans one graph: its steps in recipe order with blocks expanded, and what each use stands for."""

    def __init__(self, blocks: dict[str, Block], path: KeyPath, report: Report | None) -> None:
        self.blocks = blocks
        self.path = path
        self.report = report
        self.pending: list[Pending] = []
        self.scopes: list[Scope] = []
        self.active: list[str] = []  # blocks being expanded, for cycles
        self.used: set[str] = set()
        self.taken: dict[str, tuple[KeyPath, BlockUse | None]] = {}
        self.parameters = Parameters(report)

    def problem(self, path: KeyPath, message: str, key: KeyPath | None = None) -> None:
        if self.report is not None:
            self.report.error(path, message, key=key)

    def plan(self, inputs: list[str], layers: dict[str, LayerSpec]) -> tuple[dict[str, Step], dict[str, list[Reference]]]:
        """The graph's steps (recipe order) and, for each of its block uses, the references it stands for."""
        top = Scope("", self.path + ("layers",), inputs, {name: [Reference(name)] for name in inputs})
        self.entries(layers, top)
        steps: dict[str, Step] = {}
        for pending in self.pending:
            step = self.step(pending)
            steps.setdefault(step.name, step)
        for scope in self.scopes:  # what a use feeds a block it never reads is still checked
            for name in scope.bound:
                scope.lookup(name)
        return steps, {name: top.names[name] for name, spec in layers.items() if spec.block is not None}

    # ---------------------------------------------------------------- names

    def entries(self, layers: dict[str, LayerSpec], scope: Scope) -> None:
        self.scopes.append(scope)
        previous: str | None = None
        for entry, written in layers.items():
            path = scope.written + (entry,)
            spec, sources = self.parameters.substituted(written, scope.params, scope.block, path) if scope.block else (written, {})
            if spec is None:  # reported; its name reads as nothing rather than as an unknown name
                scope.names[entry] = []
                previous = entry
                continue
            rule, default = self.input_rule(spec, previous, scope, path)
            pending = Pending(entry, path, spec, scope, rule, default, sources)
            if spec.block is not None:
                scope.names[entry] = self.use(pending)
            else:
                scope.names[entry] = [Reference(scope.prefix + entry)]
                self.claim(scope.prefix + entry, path, scope)
                self.pending.append(pending)
            previous = entry

    def input_rule(self, spec: LayerSpec, previous: str | None, scope: Scope, path: KeyPath) -> tuple[InputRule, list[str]]:
        if spec.input is not None:
            return "input", []
        if call_references(spec.call) and spec.block is None:
            return "keywords only", []
        if previous is not None:
            return "previous entry", [previous]
        if scope.block is None:
            return "model input", scope.inputs
        if len(scope.inputs) > 1:
            self.problem(path, f"the first layer of block {scope.block!r} needs `input:`: the block has several inputs ({', '.join(scope.inputs)})")
        return "block input", scope.inputs

    def claim(self, name: str, path: KeyPath, scope: Scope) -> None:
        """Report a second layer of one name when a block use made either of them."""
        use = scope.uses[0] if scope.uses else None
        first = self.taken.setdefault(name, (path, use))
        if first[0] != path and (use is not None or first[1] is not None):
            at = use.path if use is not None else path
            self.problem(at, f"two layers are named {name!r} once blocks are expanded ({self.described(*first)} and {self.described(path, use)}); rename one", key=at)

    @staticmethod
    def described(path: KeyPath, use: BlockUse | None) -> str:
        return ".".join(map(str, path)) if use is None else f"{'.'.join(map(str, use.path))} (block {use.block!r})"

    # ---------------------------------------------------------------- blocks

    def use(self, pending: Pending) -> list[Reference]:
        """Expand one block use; returns what the use's name stands for (the last copy's outputs)."""
        spec, path, scope = pending.spec, pending.path, pending.scope
        name = str(spec.block)
        block = self.blocks.get(name)
        extra = [key for key in ("type", "call", "share", "op") if getattr(spec, key) is not None]
        if extra:
            self.problem(path + (extra[0],), f"a block use takes `block:`, `input:`, `repeat:` and the block's parameters; remove `{extra[0]}:`", key=path)
        if block is None:
            hint = did_you_mean(name, self.blocks)
            self.problem(path + ("block",), f"unknown block {name!r}{hint or '; define it under `blocks:`'}", key=path)
            return []
        if name in self.active:
            chain = " -> ".join([*self.active[self.active.index(name):], name])
            self.problem(path + ("block",), f"blocks use each other in a cycle: {chain}", key=path)
            return []
        self.used.add(name)
        params = self.parameters.bind(block, name, spec.arguments, pending.sources, path)
        feeds = self.feeds(block, name, pending)
        if params is None or feeds is None:
            return []
        outputs = block.outputs or [next(reversed(block.layers))]
        repeat = spec.repeat if isinstance(spec.repeat, int) else None
        if isinstance(spec.repeat, str):
            at = pending.sources.get(("repeat",), path + ("repeat",))
            self.problem(at, f"`repeat:` takes a whole number of copies (or ${{params.NAME}} inside a block), got {spec.repeat!r}", key=path)
            return []
        if repeat is not None and (len(block.inputs) > 1 or len(outputs) > 1):
            self.problem(path + ("repeat",), f"`repeat:` chains copies of a block with one input and one output; block {name!r} has {len(block.inputs)} input(s) and {len(outputs)} output(s)", key=path)
            repeat = None
        clashes = [inp for inp in block.inputs if inp in block.layers]
        for inp in clashes:
            self.problem(("blocks", name, "layers", inp), f"block {name!r} has an input and a layer named {inp!r}; rename one")
        if clashes:
            return []
        result: list[Reference] = []
        for copy in range(1, repeat + 1) if repeat else [None]:
            use = BlockUse(path, scope.prefix + pending.entry, name, copy)
            inner = Scope(f"{use.label}_", ("blocks", name, "layers"), list(block.inputs), {}, feeds, params, name, (*scope.uses, use))
            self.active.append(name)
            self.entries(block.layers, inner)
            self.active.pop()
            result = self.block_outputs(block, name, outputs, inner)
            feeds = {block.inputs[0]: fixed(result)}  # the next copy reads this one
        return result

    def feeds(self, block: Block, name: str, pending: Pending) -> dict[str, Callable[[], list[Reference]]] | None:
        """What the use feeds each of the block's inputs, resolved later in the use's scope."""
        spec, path, scope = pending.spec, pending.path, pending.scope
        inputs = block.inputs
        if pending.rule != "input":
            if len(inputs) > 1:
                self.problem(path, f"block {name!r} reads {len(inputs)} inputs ({', '.join(inputs)}); give them in that order with `input:`")
                return None
            return {inputs[0]: lambda: [ref for entry in pending.default for ref in scope.lookup(entry) or []]}
        items = spec.input or []
        if not all(isinstance(item, str) for item in items):
            self.problem(path + ("input",), "a block use's `input:` names layers or inputs (numbers are for `op:` entries)", key=path)
            return None
        if len(inputs) == 1:
            return {inputs[0]: lambda: [ref for i, item in enumerate(items) for ref in self.resolve(str(item), scope, path + ("input", i), strict=True)]}
        if len(items) != len(inputs):
            self.problem(path + ("input",), f"block {name!r} reads {len(inputs)} inputs ({', '.join(inputs)}); `input:` gives {len(items)}", key=path)
            return None
        return {inp: partial(self.resolve, str(items[i]), scope, path + ("input", i), strict=True) for i, inp in enumerate(inputs)}

    def block_outputs(self, block: Block, name: str, outputs: list[str], inner: Scope) -> list[Reference]:
        found: list[Reference] = []
        for i, text in enumerate(outputs):
            ref = Reference.parse(text)
            at: KeyPath = ("blocks", name, "outputs", i)
            if ref.name not in block.layers:
                self.problem(at, f"{ref.name!r} is not a layer of block {name!r}{did_you_mean(ref.name, block.layers)}", key=("blocks", name, "outputs"))
                continue
            found += self.pick(inner.names[ref.name], ref, at)
        return found

    # ---------------------------------------------------------------- references

    def resolve(self, text: str, scope: Scope, at: KeyPath, *, strict: bool) -> list[Reference]:
        """`name` or `name[i]` in `scope`, as references into the expanded graph.

        A graph's own unknown names pass through for the graph checks to report (with
        the rest of its references); inside a block, or fed to one, they are reported here.
        """
        ref = Reference.parse(text)
        found = scope.lookup(ref.name)
        if found is None:
            if scope.block is None and (not strict or ref.name in self.taken):
                return [ref]
            known = [*scope.names, *scope.bound]
            where = f"block {scope.block!r} has no input or layer {ref.name!r}{did_you_mean(ref.name, known)}" if scope.block else unknown_name(ref.name, known)
            self.problem(at, where, key=entry_of(at))
            return []
        return self.pick(found, ref, at)

    def pick(self, found: list[Reference], ref: Reference, at: KeyPath) -> list[Reference]:
        """Output `ref.index` of what a name stands for: one of a use's outputs, or an index into a layer's."""
        if ref.index is None:
            return found
        if len(found) > 1:
            if ref.index < len(found):
                return [found[ref.index]]
            self.problem(at, f"{str(ref)!r} is out of range: {ref.name!r} has {len(found)} outputs ({ref.name}[0] to {ref.name}[{len(found) - 1}])", key=entry_of(at))
            return []
        if found and found[0].index is not None:
            self.problem(at, f"{str(ref)!r}: {ref.name!r} is already output {found[0].index} of {found[0].name!r}, a single tensor", key=entry_of(at))
            return []
        return [Reference(one.name, ref.index) for one in found]

    def step(self, pending: Pending) -> Step:
        scope, spec = pending.scope, pending.spec
        strict = scope.block is not None
        renamed: dict[str, Any] = {}
        if pending.rule == "input":
            items, inputs = self.input_items(spec.input or [], scope, pending.path, strict)
            if items is not None:
                renamed["input"] = items
        else:
            inputs = [ref for name in pending.default for ref in scope.lookup(name) or []]
        calls: dict[str, list[Reference]] = {}
        if spec.call:
            call = dict(spec.call)
            for key, value in spec.call.items():
                if call_texts(value) is not None:
                    call[key], calls[key] = self.call_value(value, scope, pending.path + ("call", key), strict)
            renamed["call"] = call
        if spec.share is not None:
            shared = self.resolve(spec.share, scope, pending.path + ("share",), strict=strict)
            renamed["share"] = shared[0].name if shared else spec.share
        if any(renamed.get(key) != getattr(spec, key) for key in renamed):
            spec = spec.model_copy(update=renamed)
        origin = Origin(pending.path, scope.uses, pending.sources) if scope.block is not None else None
        return Step(scope.prefix + pending.entry, spec, tuple(inputs), pending.rule, calls, origin)

    def input_items(self, written: list[Any], scope: Scope, path: KeyPath, strict: bool) -> tuple[list[Any] | None, list[Reference]]:
        """`input:` resolved: the references, and the items rewritten to expanded names (None when they stay as written)."""
        items: list[Any] = []
        inputs: list[Reference] = []
        changed = False
        for i, item in enumerate(written):
            if isinstance(item, str):
                refs = self.resolve(item, scope, path + ("input", i), strict=strict)
                changed = changed or len(refs) != 1 or refs[0].name != item.partition("[")[0]
                items += [str(r) for r in refs]
                inputs += refs
            elif isinstance(item, list):
                texts: list[Any] = []
                for j, sub in enumerate(item):
                    refs = self.resolve(sub, scope, path + ("input", i, j), strict=strict) if isinstance(sub, str) else []
                    texts += [str(r) for r in refs] if isinstance(sub, str) else [sub]
                    inputs += refs
                items.append(texts)
                changed = changed or texts != item
            else:
                items.append(item)
        return (items if changed else None), inputs

    def call_value(self, value: Any, scope: Scope, at: KeyPath, strict: bool) -> tuple[Any, list[Reference]]:
        """A `call:` value with its names resolved: a name, a list of names, or a mapping of names."""
        if isinstance(value, dict):
            resolved = {key: self.resolve(text, scope, at + (key,), strict=strict) for key, text in value.items()}
            return {key: str(refs[0]) if len(refs) == 1 else [str(r) for r in refs] for key, refs in resolved.items()}, [r for refs in resolved.values() for r in refs]
        texts = [value] if isinstance(value, str) else value
        refs = [ref for i, text in enumerate(texts) for ref in self.resolve(text, scope, at if isinstance(value, str) else at + (i,), strict=strict)]
        names = [str(r) for r in refs]
        return (names[0] if isinstance(value, str) and len(names) == 1 else names), refs
