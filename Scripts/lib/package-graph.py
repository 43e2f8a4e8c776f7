#!/usr/bin/env python3
"""Checks that `ecofund verify` reaches no database driver: the targets EcoFundAudit depends on (transitively), the
packages their products come from (transitively, from `swift package show-dependencies`), and the imports of the
verify command's own source. Prints what it found; exits 1 if PostgresNIO, libpq (CLibPQ) or the Store is reachable.

Usage: swift package dump-package > pkg.json; swift package show-dependencies --format json > deps.json;
       Scripts/lib/package-graph.py pkg.json deps.json
"""
import json, pathlib, re, sys

manifest = json.load(open(sys.argv[1]))
packages = json.load(open(sys.argv[2]))
targets = {t["name"]: t for t in manifest["targets"]}
forbidden_targets = {"CLibPQ", "EcoFundStore", "EcoFundExport", "EcoFundAPI"}
forbidden_packages = {"postgres-nio"}


def closure(name):
    seen, products, stack = set(), set(), [name]
    while stack:
        target = targets[stack.pop()]
        if target["name"] in seen:
            continue
        seen.add(target["name"])
        for dependency in target["dependencies"]:
            if "byName" in dependency or "target" in dependency:
                name = (dependency.get("byName") or dependency.get("target"))[0]
                if name in targets:
                    stack.append(name)
                else:
                    products.add((name, None))
            elif "product" in dependency:
                products.add((dependency["product"][0], dependency["product"][1].lower()))
    return seen, products


def package_graph(node, graph):
    graph[node["identity"]] = [d["identity"] for d in node["dependencies"]]
    for dependency in node["dependencies"]:
        package_graph(dependency, graph)
    return graph


graph = package_graph(packages, {})
reached_targets, products = closure("EcoFundAudit")
reached_packages, stack = set(), [package for _, package in products if package]
while stack:
    package = stack.pop()
    if package not in reached_packages:
        reached_packages.add(package)
        stack.extend(graph.get(package, []))

verify = pathlib.Path("Sources/ecofund/Verify.swift").read_text()
imports = sorted(set(re.findall(r"^import (\w+)", verify, re.M)))
allowed_imports = {"ArgumentParser", "Crypto", "EcoFundAudit", "EcoFundCore", "Foundation"}

print("EcoFundAudit reaches the targets:", ", ".join(sorted(reached_targets)))
print("and the products:", ", ".join(sorted(f"{p} ({k})" for p, k in products if k)))
print("whose packages reach:", ", ".join(sorted(reached_packages)))
print("Sources/ecofund/Verify.swift imports:", ", ".join(imports))
problems = []
if reached_targets & forbidden_targets:
    problems.append(f"EcoFundAudit reaches {sorted(reached_targets & forbidden_targets)}")
if reached_packages & forbidden_packages:
    problems.append(f"EcoFundAudit reaches the packages {sorted(reached_packages & forbidden_packages)}")
if set(imports) - allowed_imports:
    problems.append(f"the verify command imports {sorted(set(imports) - allowed_imports)}")
for problem in problems:
    print("FAIL:", problem)
sys.exit(1 if problems else 0)
