"""The harness's own .NET tools (perf/tools/UdpLoad, perf/tools/LinkEmu): how to run one, and how to build it."""

import os
import shutil

from netns import HarnessError, run

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def default_dll(name):
    """perf/tools/NAME/bin/Release/net10.0/NAME.dll (what `dotnet build MptFast.sln -c Release` makes)."""
    return os.path.join(ROOT, "perf", "tools", name, "bin", "Release", "net10.0", f"{name}.dll")


def command(name, path, option):
    """argv prefix that runs the tool at path (a .dll through the dotnet host); raises HarnessError if missing."""
    if not os.path.exists(path):
        raise HarnessError(f"{name} not found at {path}: build it with `dotnet build MptFast.sln -c Release` "
                           f"(or `dotnet build perf/tools/{name} -c Release`), or pass {option} PATH")
    if not path.endswith(".dll"):
        return [path]
    dotnet = shutil.which("dotnet")
    if dotnet is None:
        raise HarnessError(f"{name} is a framework-dependent {path}, but no `dotnet` host is on PATH")
    return [dotnet, path]


def build(name, log):
    """dotnet build of perf/tools/NAME (Release); returns an error text or None."""
    if shutil.which("dotnet") is None:
        return f"no `dotnet` on PATH to build perf/tools/{name}"
    log(f"perf: building perf/tools/{name} (dotnet build -c Release)")
    r = run(["dotnet", "build", os.path.join(ROOT, "perf", "tools", name), "-c", "Release", "-nologo", "-v:q"],
            timeout=600, check=False)
    if r.returncode != 0:
        return f"dotnet build perf/tools/{name} exited {r.returncode}: {(r.stdout + r.stderr).strip()[-800:]}"
    return None
