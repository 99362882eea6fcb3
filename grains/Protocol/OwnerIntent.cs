using SupplyChain.Grains.Common;

namespace SupplyChain.Grains.Protocol;

/// <summary>Where an owner's operation stands, as stored: nothing yet, intent stored, took effect, or closed for good.</summary>
internal enum IntentState { None, Started, Done, Aborted }

/// <summary>
/// How an owner (a tree issuing, a loan originating) answers a request for its one operation from what it stored,
/// before doing anything: the same operation id gets the first result, any other a conflict, and an aborted id its
/// refusal for ever. Done or aborted, the first attempt may have died before its notices went out, so they are
/// delivered again first.
/// </summary>
internal static class OwnerIntent
{
    /// <returns>The answer, or null when the operation is to go on (nothing stored yet, or this operation's intent).</returns>
    public static async Task<Outcome<T>?> ReplayAsync<T>(IntentState state, string? storedOperationId, string operationId,
        DurableOutbox outbox, Func<Task<T>> result, Fault? abortedBecause, string exists, string inProgress)
    {
        switch (state)
        {
            case IntentState.Done when storedOperationId == operationId:
                await outbox.DeliverAsync();
                return Outcome<T>.Ok(await result());
            case IntentState.Done:
                return Fault.Conflict(exists);
            case IntentState.Aborted:
                await outbox.DeliverAsync();
                return abortedBecause!;
            case IntentState.Started when storedOperationId != operationId:
                return Fault.Conflict(inProgress);
            default:
                return null;
        }
    }
}
