using SupplyChain.Grains.Common;

namespace SupplyChain.Grains.Credit;

public sealed class CreditPolicyState
{
    public CreditPolicy? Current { get; set; }

    /// <summary>Every policy the funder published, by operation id: a retried publication answers with the policy it made.</summary>
    public Dictionary<string, CreditPolicy> Published { get; set; } = new();
}

/// <summary>A funder's lending policy for data-driven credit lines. A new policy replaces the last; lines keep the terms they were approved under.</summary>
public sealed class CreditPolicyGrain(
    [PersistentState("credit-policy", Storage.Name)] IPersistentState<CreditPolicyState> state,
    PlatformTime time) : Grain, ICreditPolicyGrain
{
    public async Task<Outcome<CreditPolicy>> Publish(string operationId, PublishPolicy command)
    {
        if (state.State.Published.TryGetValue(operationId, out var earlier)) return Outcome<CreditPolicy>.Ok(earlier);
        var policy = new CreditPolicy(Ids.Policy(operationId), this.GetPrimaryKeyString(), command.MinGrade, command.RatesByGrade, command.LineShare,
            command.MaxLimit, command.MaxTermDays, time.UtcNow);
        state.State.Current = policy;
        state.State.Published[operationId] = policy;
        await state.WriteOrDeactivateAsync(this);
        return Outcome<CreditPolicy>.Ok(policy);
    }

    public Task<CreditPolicy?> Current() => Task.FromResult(state.State.Current);
}
