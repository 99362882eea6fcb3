namespace SupplyChain.LoadGenerator;

public sealed record Party(string Id, Api Api);

/// <summary>What one client drives: a core that issues, a tier-1 supplier that holds, a tier-2 supplier it pays on.</summary>
public sealed record ClientCast(int Index, Party Core, string FacilityId, Party Holder, Party Next, string? LendingFacilityId);

/// <summary>The participants of a run, created through the API by the operator before anything is measured.</summary>
public sealed record Cast(Party Funder, IReadOnlyList<Party> Cores, IReadOnlyList<string> FacilityIds,
    IReadOnlyList<ClientCast> Clients, DateOnly Today)
{
    /// <summary>Facility and issuance limits large enough that no limit stops a run.</summary>
    public const decimal LargeLimit = 100_000_000_000m;

    public static async Task<Cast> Create(HttpClient http, Options options)
    {
        var op = new Api(http, options.OperatorKey);
        var today = await PlatformToday(op);
        var run = Guid.NewGuid().ToString("N")[..8];
        var funder = await Participant(http, op, "funder", $"load {run} funder");
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = Math.Min(options.Clients, 16) };

        var cores = new Party[options.Cores];
        var facilities = new string[options.Cores];
        await Parallel.ForEachAsync(Enumerable.Range(0, options.Cores), parallel, async (i, _) =>
        {
            var core = cores[i] = await Participant(http, op, "core", $"load {run} core {i}");
            facilities[i] = Id(await funder.Api.Post("/v1/facilities", new
            {
                funderId = funder.Id, obligorId = core.Id, limit = LargeLimit, annualRate = 0.05m,
                expiresOn = today.AddYears(3).ToString("yyyy-MM-dd"),
            }), "facility");
            // The operator-set limit keeps issuance from being the bottleneck whatever the facilities add up to.
            Id(await op.Post($"/v1/participants/{core.Id}/issuance-limit", new { limit = LargeLimit }), "issuance limit", "obligorId");
        });

        var clients = new ClientCast[options.Clients];
        await Parallel.ForEachAsync(Enumerable.Range(0, options.Clients), parallel, async (i, _) =>
        {
            var holder = await Participant(http, op, "supplier", $"load {run} supplier {i}a");
            var next = await Participant(http, op, "supplier", $"load {run} supplier {i}b");
            // Lending runs borrow from the funder against the holder's orders: a lending facility on the holder.
            var lending = options.Lending
                ? Id(await funder.Api.Post("/v1/facilities", new
                {
                    funderId = funder.Id, obligorId = holder.Id, limit = LargeLimit, annualRate = 0.06m,
                    expiresOn = today.AddYears(3).ToString("yyyy-MM-dd"),
                }), "lending facility")
                : null;
            clients[i] = new ClientCast(i, cores[i % options.Cores], facilities[i % options.Cores], holder, next, lending);
        });
        return new Cast(funder, cores, facilities, clients, today);
    }

    /// <summary>The platform's date: the manual clock's when the silo runs one, else the real UTC date.</summary>
    internal static async Task<DateOnly> PlatformToday(Api op)
    {
        var clock = await op.Get("/v1/admin/clock");
        if (clock.IsSuccess) return DateOnly.Parse(clock.Json.GetProperty("today").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        if (clock.Status is 404) return DateOnly.FromDateTime(DateTime.UtcNow);
        throw new SetupException($"GET /v1/admin/clock answered {clock.Status}: {clock.Body}");
    }

    internal static async Task<Party> Participant(HttpClient http, Api op, string kind, string name)
    {
        var reply = await op.Post("/v1/participants", new { name, kind });
        var id = Id(reply, $"{kind} participant");
        return new Party(id, new Api(http, reply.Json.GetProperty("apiKey").GetString()!));
    }

    internal static string Id(Reply reply, string what, string property = "id") =>
        reply.IsSuccess
            ? reply.Json.GetProperty(property).GetString()!
            : throw new SetupException($"Creating the {what} answered {reply.Status}: {reply.Body}");
}

public sealed class SetupException(string message) : Exception(message);
