using SupplyChain.Grains.Common;
using SupplyChain.Grains.Credit;
using SupplyChain.Grains.Facilities;
using SupplyChain.Grains.Groups;
using SupplyChain.Grains.Loans;
using SupplyChain.Grains.Orders;
using SupplyChain.Grains.Pools;
using SupplyChain.Grains.Vouchers;

namespace SupplyChain.Grains.Protocol;

/// <summary>The one place a typed reference becomes a grain; a kind that cannot play the role is a programming error.</summary>
internal static class Refs
{
    public static IReservationHolder Holder(this IGrainFactory grains, EntityRef holder) => holder.Kind switch
    {
        EntityKind.Obligor => grains.GetGrain<IObligorGrain>(holder.Id),
        EntityKind.Facility => grains.GetGrain<IFacilityGrain>(holder.Id),
        EntityKind.Order => grains.GetGrain<IOrderGrain>(holder.Id),
        EntityKind.Group => grains.GetGrain<IGuaranteeGroupGrain>(holder.Id),
        EntityKind.Pool => grains.GetGrain<IRiskPoolGrain>(holder.Id),
        EntityKind.CreditLine => CreditOf(grains, holder.Id),
        _ => throw new InvalidOperationException($"{holder} holds no reservation book."),
    };

    public static IReservationOwner Owner(this IGrainFactory grains, EntityRef owner) => owner.Kind switch
    {
        EntityKind.Tree => grains.GetGrain<IVoucherTreeGrain>(owner.Id),
        EntityKind.Loan => grains.GetGrain<ILoanGrain>(owner.Id),
        _ => throw new InvalidOperationException($"{owner} owns no reservations."),
    };

    public static IExposureProducer Producer(this IGrainFactory grains, EntityRef producer) => producer.Kind switch
    {
        EntityKind.Tree => grains.GetGrain<IVoucherTreeGrain>(producer.Id),
        EntityKind.Loan => grains.GetGrain<ILoanGrain>(producer.Id),
        _ => throw new InvalidOperationException($"{producer} produces no exposure events."),
    };

    public static ILoanBase LoanBase(this IGrainFactory grains, EntityRef loanBase) => loanBase.Kind switch
    {
        EntityKind.Order => grains.GetGrain<IOrderGrain>(loanBase.Id),
        EntityKind.Group => grains.GetGrain<IGuaranteeGroupGrain>(loanBase.Id),
        EntityKind.CreditLine => CreditOf(grains, loanBase.Id),
        _ => throw new InvalidOperationException($"A loan cannot draw on {loanBase}."),
    };

    /// <summary>A credit line lives in its supplier's credit grain; its id names the supplier.</summary>
    private static ISupplierCreditGrain CreditOf(IGrainFactory grains, string lineId) =>
        grains.GetGrain<ISupplierCreditGrain>(Ids.SupplierOfLine(lineId) ?? throw new InvalidOperationException($"{lineId} is not a credit line id."));
}
