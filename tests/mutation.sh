#!/usr/bin/env bash
# Mutation testing of the core rules with Stryker.NET, to measure how much of them the unit tests really pin down.
#
#   tests/mutation.sh              # one command: installs Stryker if needed, runs it, prints the scores
#
# Not part of ./test.sh or CI (a run takes minutes and needs no database). What it does:
#   - installs dotnet-stryker $STRYKER_VERSION into artifacts/tools (gitignored; no tool manifest in the repo);
#   - mutates only the pure rule files: grains/Vouchers/TreeLedger.cs (voucher rules, maturity catch-up),
#     grains/Loans/LoanLedger.cs (interest, repayment, overdue/default), grains/Common/Pricing.cs (discount charge,
#     day count) and grains/Abstractions/Common/Money.cs (fen arithmetic, parsing). Grain classes are left
#     out: their tests need PostgreSQL and silos, far too slow to run once per mutant;
#   - runs only the unit tests (tests/Unit, namespace SupplyChain.Tests.Unit) through Stryker's --test-case-filter;
#   - writes HTML, JSON and Markdown reports to artifacts/mutation/{grains,money}/reports/.
# Environment: MUTATION_CONCURRENCY (default 2), MUTATION_OUT (default artifacts/mutation).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

STRYKER_VERSION=5.1.0
tools="$root/artifacts/tools"
out="${MUTATION_OUT:-$root/artifacts/mutation}"
concurrency="${MUTATION_CONCURRENCY:-2}"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

if ! "$tools/dotnet-stryker" --help >/dev/null 2>&1 \
   || ! dotnet tool list --tool-path "$tools" | grep -q "dotnet-stryker *$STRYKER_VERSION"; then
  dotnet tool uninstall dotnet-stryker --tool-path "$tools" >/dev/null 2>&1 || true
  dotnet tool install dotnet-stryker --version "$STRYKER_VERSION" --tool-path "$tools"
fi

common=(--test-case-filter "FullyQualifiedName~SupplyChain.Tests.Unit." --concurrency "$concurrency" --configuration Debug
        --reporter Progress --reporter ClearText --reporter Html --reporter Json --reporter Markdown
        --skip-version-check --break-on-initial-test-failure)

start=$(date +%s)
# 1. The grains project, from the test project (it references grains directly): builds only what the tests need.
(cd tests && "$tools/dotnet-stryker" --project SupplyChain.Grains.csproj --test-project SupplyChain.Tests.csproj \
  --mutate '**/Vouchers/TreeLedger.cs' --mutate '**/Loans/LoanLedger.cs' --mutate '**/Common/Pricing.cs' \
  "${common[@]}" --output "$out/grains")
# 2. Money.cs. The test project reaches its project only through grains, which Stryker's test-project mode does not
#    follow ("No project found"), so this run goes through the solution, restricted to that one project. (The whole
#    solution without --project would also work in one run, but mutates every project's files only to throw them
#    away, loses coverage-based test selection, and took longer: 22 min against 19 for the two runs.)
"$tools/dotnet-stryker" --solution SupplyChain.sln --project SupplyChain.Grains.Abstractions.csproj \
  --mutate '**/Common/Money.cs' \
  "${common[@]}" --output "$out/money"
echo "Mutation testing took $(( $(date +%s) - start )) s; reports in $out/{grains,money}/reports/"
