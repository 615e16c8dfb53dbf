"""The service declares what it imports, and nothing it only needs for tests or the demo."""
from __future__ import annotations

import re
import sys
from importlib.metadata import packages_distributions, requires

import grimp

SERVICE = ("intake", "parsers", "notifier", "review")
DISTRIBUTION = "sme-expert-intake"


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def runtime_requirements() -> set[str]:
    """Requirement names without an extra marker: what `pip install .` brings."""
    names = set()
    for line in requires(DISTRIBUTION) or []:
        if "extra ==" in line:
            continue
        names.add(normalise(re.match(r"[A-Za-z0-9_.-]+", line).group(0)))
    return names


def imported_modules() -> dict[str, set[str]]:
    """Third-party top-level module the service imports → the distributions
    that provide it (cv2 comes in opencv-python and in the headless build)."""
    graph = grimp.build_graph(*SERVICE, include_external_packages=True)
    ours = set(SERVICE) | {"devtools"}  # devtools: only `intake demo`, behind the [dev] extra
    by_module = packages_distributions()
    return {module: {normalise(distribution) for distribution in by_module.get(module, [module])}
            for module in graph.modules
            if "." not in module and module not in ours and module not in sys.stdlib_module_names}


def test_every_library_the_service_imports_is_declared():
    declared = runtime_requirements()
    undeclared = {module: providers for module, providers in imported_modules().items() if not providers & declared}
    assert not undeclared, f"imported but not in [project.dependencies]: {undeclared}"


def test_the_test_and_demo_tools_are_extras_not_dependencies():
    runtime = runtime_requirements()
    assert not runtime & {"reportlab", "aiosmtpd", "pytest", "hypothesis", "import-linter"}
