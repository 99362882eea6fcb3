using System.Net;
using System.Security.Cryptography;
using System.Text;
using Dapper;
using SupplyChain.Tests.Infrastructure;

namespace SupplyChain.Tests.Api;

/// <summary>The Idempotency-Key contract of API.md, including across a restart of the process.</summary>
public sealed class IdempotencyTests : IAsyncLifetime
{
    private readonly TestDatabase _db = new("idempotency");
    private ApiHost _host = null!;

    public async Task InitializeAsync()
    {
        _host = new ApiHost(_db.ConnectionString);
        await _host.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        _db.Dispose();
    }

    private async Task Restart()
    {
        await _host.StopAsync();
        _host = new ApiHost(_db.ConnectionString, _host.Time);
        await _host.StartAsync();
    }

    [Fact]
    public async Task Replay_IsByteIdentical_DifferentBodyIs422_AndBothSurviveARestart()
    {
        var s = new Scenario(_host);
        var (core, s1, bank, _) = await s.Cast(1_000_000m);
        var maturity = (await s.Today()).AddDays(60).ToString("yyyy-MM-dd");
        var body = $$"""{"beneficiaryId":"{{s1.Id}}","amount":1234.5,"maturityDate":"{{maturity}}"}""";

        var first = (await core.Client.PostRaw("/v1/vouchers", body, "issue-1")).Expect(HttpStatusCode.Created);
        Assert.False(first.Headers.Contains("Idempotent-Replayed"));
        var replay = (await core.Client.PostRaw("/v1/vouchers", body, "issue-1")).Expect(HttpStatusCode.Created);
        Assert.Equal(first.Bytes, replay.Bytes);
        Assert.Equal("true", replay.Headers.GetValues("Idempotent-Replayed").Single());

        var other = $$"""{"beneficiaryId":"{{s1.Id}}","amount":1234.51,"maturityDate":"{{maturity}}"}""";
        Assert.Equal("idempotency_key_reused", (await core.Client.PostRaw("/v1/vouchers", other, "issue-1")).Expect(HttpStatusCode.UnprocessableEntity).Code);

        // The key is scoped to the caller: another participant may use the same key for its own request.
        var core2 = await s.Participant("core");
        await s.Facility(bank, core2, 1_000m);
        (await core2.Client.PostRaw("/v1/vouchers", $$"""{"beneficiaryId":"{{s1.Id}}","amount":1,"maturityDate":"{{maturity}}"}""", "issue-1"))
            .Expect(HttpStatusCode.Created);

        var clockBefore = await s.Today();
        (await s.Operator.Post("/v1/admin/clock/advance", new { days = 3 })).Expect(HttpStatusCode.OK);

        await Restart();
        core = core with { Client = _host.Client(core.Client.ApiKey) };

        var afterRestart = (await core.Client.PostRaw("/v1/vouchers", body, "issue-1")).Expect(HttpStatusCode.Created);
        Assert.Equal(first.Bytes, afterRestart.Bytes);
        Assert.Equal("true", afterRestart.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Equal("idempotency_key_reused", (await core.Client.PostRaw("/v1/vouchers", other, "issue-1")).Expect(HttpStatusCode.UnprocessableEntity).Code);

        // Exactly one voucher was issued for all those attempts, and the manual clock kept its date.
        var s2 = new Scenario(_host);
        var listed = (await core.Client.Get("/v1/vouchers")).Expect(HttpStatusCode.OK).Json.GetProperty("items");
        Assert.Equal(1, listed.GetArrayLength());
        Assert.Equal(1234.50m, listed[0].GetProperty("amount").GetDecimal());
        Assert.Equal(1234.50m, (await core.Client.Get($"/v1/participants/{core.Id}/issuance")).Json.GetProperty("outstanding").GetDecimal());
        Assert.Equal(clockBefore.AddDays(3), await s2.Today());
    }

    [Fact]
    public async Task SameKeyWhileTheFirstIsRunning_Is409_AndAfterItsLeaseARetryTakesOver()
    {
        var s = new Scenario(_host);
        var (core, s1, bank, _) = await s.Cast(1_000_000m);
        var maturity = (await s.Today()).AddDays(60).ToString("yyyy-MM-dd");
        var body = $$"""{"beneficiaryId":"{{s1.Id}}","amount":500,"maturityDate":"{{maturity}}"}""";

        // The first request is running in another API process: its record is in flight, with a live lease.
        var hash = SHA256.HashData([.. Encoding.UTF8.GetBytes("POST /v1/vouchers\n"), .. Encoding.UTF8.GetBytes(body)]);
        await using (var connection = _db.Open())
        {
            await connection.ExecuteAsync(
                """
                INSERT INTO idempotency_records (principal_id, idem_key, request_hash, state, lease_until, created_at)
                VALUES (@id, @key, @hash, 'in_flight', @lease, @now)
                """,
                new { id = core.Id, key = SupplyChain.Api.Http.Idempotency.StoredKey("running"), hash, lease = _host.Time.GetUtcNow().AddSeconds(60), now = _host.Time.GetUtcNow() });
        }

        var busy = (await core.Client.PostRaw("/v1/vouchers", body, "running")).Expect(HttpStatusCode.Conflict);
        Assert.Equal("idempotency_key_in_flight", busy.Code);
        Assert.Equal(0, (await core.Client.Get("/v1/vouchers")).Json.GetProperty("items").GetArrayLength());

        // That process died: once its lease has run out, a retry takes the key over and completes.
        _host.Time.Advance(TimeSpan.FromSeconds(61));
        var done = (await core.Client.PostRaw("/v1/vouchers", body, "running")).Expect(HttpStatusCode.Created);
        var replay = (await core.Client.PostRaw("/v1/vouchers", body, "running")).Expect(HttpStatusCode.Created);
        Assert.Equal(done.Bytes, replay.Bytes);
    }

    [Fact]
    public async Task ConcurrentDuplicates_ApplyOnce()
    {
        var s = new Scenario(_host);
        var (core, s1, bank, _) = await s.Cast(1_000_000m);
        var root = await s.ActiveVoucher(core, s1, 1_000m);

        var body = """{"amounts":[600,400]}""";
        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => s1.Client.PostRaw($"/v1/vouchers/{root}/split", body, "split-once")));
        Assert.All(results, r => Assert.True(r.Status is HttpStatusCode.Created or HttpStatusCode.Conflict, r.Text));
        Assert.All(results.Where(r => r.Status == HttpStatusCode.Conflict), r => Assert.Equal("idempotency_key_in_flight", r.Code));
        var created = results.Where(r => r.Status == HttpStatusCode.Created).ToList();
        Assert.NotEmpty(created);
        Assert.All(created, r => Assert.Equal(created[0].Bytes, r.Bytes));
        Assert.Equal(3, (await s.Tree(core, root)).Json.GetProperty("fragments").GetArrayLength());
    }

    [Fact]
    public async Task MissingOrInvalidKey_Is400_AndChangesNothing()
    {
        var s = new Scenario(_host);
        var (core, s1, bank, _) = await s.Cast(1_000m);
        var maturity = (await s.Today()).AddDays(60).ToString("yyyy-MM-dd");
        var body = $$"""{"beneficiaryId":"{{s1.Id}}","amount":5,"maturityDate":"{{maturity}}"}""";
        Assert.Equal("idempotency_key_missing", (await core.Client.PostRaw("/v1/vouchers", body, null)).Expect(HttpStatusCode.BadRequest).Code);
        Assert.Equal("idempotency_key_missing", (await core.Client.PostRaw("/v1/vouchers", body, new string('k', 256))).Expect(HttpStatusCode.BadRequest).Code);
        (await core.Client.PostRaw("/v1/vouchers", body, new string('k', 255))).Expect(HttpStatusCode.Created);
        Assert.Equal(1, (await core.Client.Get("/v1/vouchers")).Json.GetProperty("items").GetArrayLength());
    }

    [Fact]
    public async Task RecordsAreKeptAtLeast24Hours_ThenForgotten()
    {
        var s = new Scenario(_host);
        var created = (await s.Operator.Post("/v1/participants", new { name = "Kept", kind = "supplier" }, "keep-me")).Expect(HttpStatusCode.Created);
        // The stored record keeps neither the Idempotency-Key nor the new participant's API key in plain text.
        await using (var db = _db.Open())
        {
            var apiKey = created.Json.GetProperty("apiKey").GetString()!;
            var rows = (await db.QueryAsync<(string IdemKey, byte[] Body, bool Sealed)>("SELECT idem_key, body, sealed FROM idempotency_records")).ToList();
            Assert.DoesNotContain(rows, r => r.IdemKey == "keep-me");
            var stored = Assert.Single(rows, r => r.IdemKey == SupplyChain.Api.Http.Idempotency.StoredKey("keep-me"));
            Assert.True(stored.Sealed);
            Assert.DoesNotContain(apiKey, System.Text.Encoding.UTF8.GetString(stored.Body));
            Assert.Equal(-1, stored.Body.AsSpan().IndexOf(System.Text.Encoding.UTF8.GetBytes(apiKey)));
        }
        var janitor = _host.Services.GetRequiredService<IGrainFactory>().GetGrain<SupplyChain.Grains.Housekeeping.IIdempotencyJanitorGrain>("platform");

        _host.Time.Advance(TimeSpan.FromHours(47));
        await janitor.Purge();
        var replay = (await s.Operator.Post("/v1/participants", new { name = "Kept", kind = "supplier" }, "keep-me")).Expect(HttpStatusCode.Created);
        Assert.Equal(created.Bytes, replay.Bytes);

        _host.Time.Advance(TimeSpan.FromHours(2));
        Assert.True(await janitor.Purge() >= 1);
        await using var connection = _db.Open();
        Assert.Equal(0, await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM idempotency_records WHERE idem_key = @key",
            new { key = SupplyChain.Api.Http.Idempotency.StoredKey("keep-me") }));
    }
}
