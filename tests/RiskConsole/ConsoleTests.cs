using System.Net;
using Microsoft.Playwright;
using SupplyChain.Tests.Infrastructure;
using Xunit.Abstractions;

namespace SupplyChain.Tests.RiskConsole;

/// <summary>
/// The risk console in a real headless browser (Debian's chromium, driven by Playwright), against a real silo on
/// the walk-through's data: sign in, names not ids, charts drawn, the stress test's waterfall, an alert arriving
/// without a reload, a wrong key that shows nothing, no request outside the host and no script error.
/// A screenshot is saved with the test output (artifacts/console.png).
/// </summary>
public sealed class ConsoleTests(ApiFixture fixture, ITestOutputHelper output) : IClassFixture<ApiFixture>, IAsyncLifetime
{
    /// <summary>The system browser: Playwright cannot download its own here (README, "Tests").</summary>
    private static string Chromium => Environment.GetEnvironmentVariable("SUPPLYCHAIN_CHROMIUM") ?? "/usr/bin/chromium";

    private IPlaywright _playwright = null!;
    private IBrowser _browser = null!;

    public async Task InitializeAsync()
    {
        Assert.True(File.Exists(Chromium), $"No browser at {Chromium}: install Debian's chromium package (./test.sh does).");
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new() { ExecutablePath = Chromium, Headless = true, Args = ["--no-sandbox"] });
    }

    public async Task DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
    }

    private sealed record Book(Party Core, Party Funder, Party S1, Party S2, string RiskKey);

    /// <summary>The README's walk-through, up to the group, its loan and the pool.</summary>
    private async Task<Book> WalkThrough()
    {
        var s = fixture.Scenario;
        var core = await s.Participant("core", "Big Buyer Co");
        var s1 = await s.Participant("supplier", "Tier-1 Parts");
        var s2 = await s.Participant("supplier", "Tier-2 Castings");
        var bank = await s.Participant("funder", "River Bank");
        await s.Facility(bank, core, 1_000_000m, 0.036m);
        var root = await s.ActiveVoucher(core, s1, 100_000m);
        var split = (await s1.Client.Post($"/v1/vouchers/{root}/split", new { amounts = new[] { 70_000m, 30_000m } })).Expect(HttpStatusCode.Created).Json;
        var a = split.GetProperty("children")[0].GetProperty("id").GetString();
        var c = split.GetProperty("children")[1].GetProperty("id").GetString();
        var passed = (await s1.Client.Post($"/v1/vouchers/{a}/transfer", new { toId = s2.Id, amount = 20_000m })).Expect(HttpStatusCode.Created)
            .Json.GetProperty("transferred").GetProperty("id").GetString();
        (await s2.Client.Post($"/v1/vouchers/{passed}/accept")).Expect(HttpStatusCode.OK);
        (await s1.Client.Post($"/v1/vouchers/{c}/discount", new { funderId = bank.Id, amount = 30_000m })).Expect(HttpStatusCode.Created);

        var members = new[] { await s.Participant("supplier", "Alpha Springs"), await s.Participant("supplier", "Beta Bearings"), await s.Participant("supplier", "Gamma Gears") };
        var expires = (await s.Today()).AddDays(400).ToString("yyyy-MM-dd");
        var group = (await bank.Client.Post("/v1/guarantee-groups", new
        {
            funderId = bank.Id, memberIds = members.Select(m => m.Id).ToArray(), groupLimit = 200_000m, memberCap = 30_000m, annualRate = 0.06m, expiresOn = expires,
        })).Expect(HttpStatusCode.Created).Id;
        foreach (var m in members) (await m.Client.Post($"/v1/guarantee-groups/{group}/consent")).Expect(HttpStatusCode.OK);
        var loan = (await members[0].Client.Post($"/v1/guarantee-groups/{group}/loans", new { amount = 100_000m, termDays = 90 })).Expect(HttpStatusCode.Created).Id;
        var fund = await s.Participant("sponsor", "County fund");
        var pool = (await s.Operator.Post("/v1/risk-pools", new { name = "County pool", leverage = 4m, coverageRatio = 0.5m, floor = 20_000m })).Expect(HttpStatusCode.Created).Id;
        (await s.Operator.Post($"/v1/risk-pools/{pool}/contributions", new { contributorId = fund.Id, amount = 30_000m })).Expect(HttpStatusCode.OK);
        (await bank.Client.Post($"/v1/risk-pools/{pool}/enrollments", new { loanId = loan })).Expect(HttpStatusCode.OK);

        var risk = (await s.Operator.Post("/v1/risk-staff", new { name = "Risk desk" })).Expect(HttpStatusCode.Created).Json.GetProperty("apiKey").GetString()!;
        await s.ExposuresReconcile(TimeSpan.FromSeconds(60));
        return new Book(core, bank, s1, s2, risk);
    }

    [Fact]
    public async Task RiskStaff_SeeTheBookByName_InCharts_RunAStressTest_AndNewAlertsArrive_WithNothingFromElsewhere()
    {
        var book = await WalkThrough();
        var origin = fixture.Host.BaseAddress.GetLeftPart(UriPartial.Authority);
        var page = await _browser.NewPageAsync(new() { ViewportSize = new() { Width = 1400, Height = 1200 } });
        var requests = new List<string>();
        var errors = new List<string>();
        page.Request += (_, r) => { lock (requests) requests.Add(r.Url); };
        page.PageError += (_, e) => { lock (errors) errors.Add(e); };
        page.Console += (_, m) => { if (m.Type == "error") lock (errors) errors.Add(m.Text); };

        await page.GotoAsync($"{origin}/console");
        await page.FillAsync("#key", book.RiskKey);
        await page.ClickAsync("#sign-in-form button");

        // Names, not ids: the core in the chain selector and among the stress test's choices, the funder in the charts.
        await page.WaitForSelectorAsync("#chain-core option:has-text('Big Buyer Co')", new() { State = WaitForSelectorState.Attached });
        await page.WaitForSelectorAsync("#stress-choices label:has-text('Big Buyer Co')");
        await page.WaitForFunctionAsync("document.querySelectorAll('[data-chart-ready=\"true\"]').length >= 5");
        var funderAxis = await page.EvaluateAsync<string[]>("echarts.getInstanceByDom(document.getElementById('chart-funders')).getOption().yAxis[0].data");
        Assert.Contains("River Bank", funderAxis);
        var obligorAxis = await page.EvaluateAsync<string[]>("echarts.getInstanceByDom(document.getElementById('chart-obligors')).getOption().yAxis[0].data");
        Assert.Contains("Big Buyer Co", obligorAxis);
        Assert.DoesNotContain(book.Core.Id, obligorAxis);
        var drawn = await page.EvaluateAsync<string[]>("[...document.querySelectorAll('[data-chart-ready=\"true\"]')].map(e => e.id)");
        output.WriteLine("charts drawn: " + string.Join(", ", drawn));
        Assert.Contains("chart-tiers", drawn);
        Assert.Contains("chart-groups", drawn);
        Assert.Contains("chart-pools", drawn);

        // The stress test: the core defaults; the bank's exposure is what it financed of the core's voucher.
        await page.CheckAsync("#stress-choices label:has-text('Big Buyer Co') input");
        await page.ClickAsync("#stress-form button");
        await page.WaitForSelectorAsync("#stress-table tbody tr:has-text('River Bank')");
        Assert.Equal("true", await page.GetAttributeAsync("#chart-stress", "data-chart-ready"));
        var row = await page.InnerTextAsync("#stress-table tbody tr:has-text('River Bank')");
        Assert.Contains("30,000.00", row);

        // A new alert arrives without a reload: the core issues a voucher beyond the long-tenor threshold.
        var before = await page.Locator("#alerts li").CountAsync();
        var maturity = (await fixture.Scenario.Today()).AddDays(200).ToString("yyyy-MM-dd");
        (await book.Core.Client.Post("/v1/vouchers", new { beneficiaryId = book.S1.Id, amount = 1_000m, maturityDate = maturity })).Expect(HttpStatusCode.Created);
        await page.WaitForSelectorAsync("#alerts li.alert-long_tenor:has-text('Big Buyer Co')", new() { Timeout = 30_000 });
        Assert.True(await page.Locator("#alerts li").CountAsync() > before);
        Assert.Equal("long tenor", await page.InnerTextAsync("#alerts li:first-child b"));

        // Early-warning signals arrive too: Alpha's group loan runs past its due date and defaults, so its own loan is
        // overdue and Beta and Gamma are called as guarantors.
        (await fixture.Scenario.Operator.Post("/v1/admin/clock/advance", new { days = 121 })).Expect(HttpStatusCode.OK);
        await page.WaitForSelectorAsync("#signals li.signal-guarantor_called.open:has-text('Beta Bearings')", new() { Timeout = 30_000 });
        await page.WaitForSelectorAsync("#signals li.signal-loan_overdue.open:has-text('Alpha Springs')", new() { Timeout = 30_000 });
        Assert.Contains("owed: 30000.00", await page.InnerTextAsync("#signals li.signal-guarantor_called:has-text('Gamma Gears')"));

        var shot = Path.Combine(Environment.GetEnvironmentVariable("SUPPLYCHAIN_TEST_ARTIFACTS") ?? AppContext.BaseDirectory, "console.png");
        await page.ScreenshotAsync(new() { Path = shot, FullPage = true });
        output.WriteLine($"screenshot: {shot}");

        lock (requests) Assert.All(requests, url => Assert.StartsWith(origin + "/", url));
        lock (errors) Assert.Empty(errors);
        Assert.DoesNotContain(book.RiskKey, page.Url);
    }

    [Fact]
    public async Task AWrongKey_ShowsAnError_AndNoData()
    {
        var supplier = await fixture.Scenario.Participant("supplier", "Not Risk Co");
        var origin = fixture.Host.BaseAddress.GetLeftPart(UriPartial.Authority);
        var page = await _browser.NewPageAsync();
        var dataRequests = new List<string>();
        page.Request += (_, r) => { if (r.Url.Contains("/v1/", StringComparison.Ordinal)) lock (dataRequests) dataRequests.Add(r.Url); };
        await page.GotoAsync($"{origin}/console");

        foreach (var (key, message) in new[] { ("sk_not_a_key", "not known"), (supplier.Client.ApiKey!, "not a risk-staff or operator key") })
        {
            await page.FillAsync("#key", key);
            await page.ClickAsync("#sign-in-form button");
            await page.WaitForSelectorAsync($"#sign-in-error:has-text('{message}')");
            Assert.False(await page.IsVisibleAsync("#console"));
            Assert.Equal(0, await page.Locator("#alerts li").CountAsync());
            Assert.Null(await page.EvaluateAsync<string?>("sessionStorage.getItem('supplychain.console.key')"));
        }
        // Only the sign-in probe went out, once per attempt.
        lock (dataRequests) Assert.Equal(2, dataRequests.Count);
    }
}
