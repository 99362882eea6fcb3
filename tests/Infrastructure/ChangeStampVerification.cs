using System.Runtime.CompilerServices;
using SupplyChain.Grains;

namespace SupplyChain.Tests.Infrastructure;

/// <summary>
/// Every test runs with <see cref="ChangeStamps.Verify"/> on (silos in this process; silo processes get it from their
/// configuration, <c>SupplyChain:VerifyChangeStamps</c>): a change that skips its stamp fails the test that makes it.
/// </summary>
internal static class ChangeStampVerification
{
    [ModuleInitializer]
    internal static void TurnOn() => ChangeStamps.Verify = true;
}
