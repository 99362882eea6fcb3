using SupplyChain.Grains.Common;
using SupplyChain.Grains.Pools;
using SupplyChain.Grains.Protocol;

namespace SupplyChain.Grains.Loans;

/// <summary>
/// Enrollment in a risk pool: the loan owns the pool's cover reservation, keyed by its id. It stores its intent, reserves
/// cover for its outstanding principal, then stores the enrollment with the commit notice; a refusal drops the intent.
/// From then on the cover follows the outstanding principal and ends when the loan is repaid or defaults.
/// </summary>
public sealed partial class LoanGrain
{
    public async Task<Outcome<Loan>> Enroll(Caller caller, string operationId, string poolId)
    {
        if (S.Phase != LoanPhase.Disbursed) await Reload();
        if (S.Phase != LoanPhase.Disbursed || caller.Id != S.FunderId) return Fault.NotFound("Loan");
        var today = await TodayAsync();
        if (S.PoolId is not null)
            return S.PoolId == poolId && S.EnrollOperationId == operationId
                ? Outcome<Loan>.Ok(View(today))
                : Fault.InvalidState($"The loan is already enrolled in risk pool {S.PoolId}.");
        if (S.Enrolling is { } pending && pending.OperationId != operationId)
            return Fault.Conflict("Another enrollment of this loan is in progress; retry shortly.");
        await CatchUp(today);
        if (S.Status != LoanStatus.Active)
            return Fault.InvalidState($"The loan is {S.Status.Wire()}: only an active loan can be enrolled in a risk pool.");
        if (S.Enrolling is null)
        {
            S.Enrolling = new EnrollmentIntent { PoolId = poolId, OperationId = operationId };
            await Write();
        }
        var covered = await GrainFactory.GetGrain<IRiskPoolGrain>(S.Enrolling.PoolId).ReserveCover(LoanId, S.FunderId, new Money(S.OutstandingFen));
        if (!covered.IsOk)
        {
            S.Enrolling = null; // refused: nothing was reserved
            await Write();
            return covered.Fault!;
        }
        S.PoolId = S.Enrolling.PoolId;
        S.EnrollOperationId = S.Enrolling.OperationId;
        S.Enrolling = null;
        S.Notices.Add(Notice.Commit(EntityRef.Pool(S.PoolId), LoanId));
        await Write();
        await Outbox.DeliverAsync();
        return Outcome<Loan>.Ok(View(today));
    }

    /// <summary>
    /// The pool kept this loan's cover open too long. Enrolled there: deliver and commit. An enrollment whose intent is
    /// stored but that never completed (its process died): drop it (stored first) and release; a retry enrolls afresh.
    /// </summary>
    private async Task ResolveEnrollment(EntityRef pool)
    {
        if (S.PoolId == pool.Id)
        {
            await Outbox.DeliverAsync();
            await GrainFactory.Holder(pool).Commit(LoanId);
            return;
        }
        if (S.Enrolling?.PoolId == pool.Id)
        {
            S.Enrolling = null;
            await Write();
        }
        await GrainFactory.Holder(pool).Release(LoanId);
    }
}
