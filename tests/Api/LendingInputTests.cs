using System.Net;
using System.Runtime.CompilerServices;
using System.Text.Json;
using SupplyChain.Grains.Common;
using SupplyChain.Tests.Infrastructure;
using static SupplyChain.Tests.Infrastructure.Problems;

namespace SupplyChain.Tests.Api;

/// <summary>
/// Orders, order-financing loans and vouchers against orders (API.md, DOMAIN.md "Orders and order financing"):
/// bad input answers 400 naming the field, business rules 409 with their code, another party's order or loan 404
/// exactly as if it did not exist, a role that may never call 403. Every refusal changes nothing: the order, its
/// loans, the facilities' usage and the buyer's issuance position read the same before and after, and nothing
/// appears under the id the refused create would have made.
/// </summary>
public sealed class LendingInputTests(ApiFixture fixture) : IClassFixture<ApiFixture>
{
    private Scenario S => fixture.Scenario;

    // ------------------------------------------------------------------------------------------------
    // POST /v1/orders
    // ------------------------------------------------------------------------------------------------

    [Fact]
    public async Task PlaceOrder_Is201_WithAConfirmedOrder_AndTheBoundariesAreAccepted()
    {
        var w = await World.Build(S);
        var reference = new string('R', 200);
        var latest = w.Today.AddDays(365).ToString("yyyy-MM-dd");

        var placed = (await w.Core.Client.Post("/v1/orders", new { supplierId = w.Supplier.Id, amount = 0.01m, paymentDate = latest, reference }))
            .Expect(HttpStatusCode.Created).Json;

        Assert.Equal((w.Core.Id, w.Supplier.Id, 0.01m, latest, reference, "confirmed", JsonValueKind.Null),
            (placed.GetProperty("buyerId").GetString(), placed.GetProperty("supplierId").GetString(), placed.GetProperty("amount").GetDecimal(),
                placed.GetProperty("paymentDate").GetString(), placed.GetProperty("reference").GetString(), placed.GetProperty("status").GetString(),
                placed.GetProperty("voucherId").ValueKind));
        var id = placed.GetProperty("id").GetString()!;
        Assert.Equal(placed.ToString(), (await w.Supplier.Client.Get($"/v1/orders/{id}")).Expect(HttpStatusCode.OK).Json.ToString());
        // Tomorrow is the earliest payment date.
        (await w.Core.Client.Post("/v1/orders", new
        {
            supplierId = w.Supplier.Id, amount = 100m, paymentDate = w.Today.AddDays(1).ToString("yyyy-MM-dd"), reference = "PO-tomorrow",
        })).Expect(HttpStatusCode.Created);
    }

    private sealed record OrderCase(Func<World, DateOnly, string> Body, string Field);

    private static string OrderBody(World w, DateOnly today, string? supplierId = "", string? amount = "100000", string? paymentDate = "",
        string? reference = "\"PO-1\"", params (string, string?)[] extra)
    {
        var members = new List<(string, string?)>
        {
            ("supplierId", supplierId == "" ? Str(w.Supplier.Id) : supplierId),
            ("amount", amount),
            ("paymentDate", paymentDate == "" ? Str(today.AddDays(60).ToString("yyyy-MM-dd")) : paymentDate),
            ("reference", reference),
        };
        members.AddRange(extra);
        return Obj([.. members]);
    }

    private static readonly Dictionary<string, OrderCase> BadOrders = new()
    {
        ["supplierId missing"] = new((w, t) => OrderBody(w, t, supplierId: null), "supplierId"),
        ["supplierId null"] = new((w, t) => OrderBody(w, t, supplierId: "null"), "supplierId"),
        ["supplierId blank"] = new((w, t) => OrderBody(w, t, supplierId: "\"   \""), "supplierId"),
        ["supplierId unknown"] = new((w, t) => OrderBody(w, t, supplierId: Str(GhostParticipant())), "supplierId"),
        ["supplierId a funder"] = new((w, t) => OrderBody(w, t, supplierId: Str(w.Funder.Id)), "supplierId"),
        ["supplierId the buyer itself"] = new((w, t) => OrderBody(w, t, supplierId: Str(w.Core.Id)), "supplierId"),
        ["supplierId a number"] = new((w, t) => OrderBody(w, t, supplierId: "42"), "supplierId"),
        ["amount zero"] = new((w, t) => OrderBody(w, t, amount: "0"), "amount"),
        ["amount negative"] = new((w, t) => OrderBody(w, t, amount: "-100"), "amount"),
        ["amount negative fen"] = new((w, t) => OrderBody(w, t, amount: "-0.01"), "amount"),
        ["amount 3 decimals"] = new((w, t) => OrderBody(w, t, amount: "100.001"), "amount"),
        ["amount a string"] = new((w, t) => OrderBody(w, t, amount: "\"100000\""), "amount"),
        ["amount above 10^12"] = new((w, t) => OrderBody(w, t, amount: "1000000000000.01"), "amount"),
        ["amount missing"] = new((w, t) => OrderBody(w, t, amount: null), "amount"),
        ["amount null"] = new((w, t) => OrderBody(w, t, amount: "null"), "amount"),
        ["paymentDate missing"] = new((w, t) => OrderBody(w, t, paymentDate: null), "paymentDate"),
        ["paymentDate today"] = new((w, t) => OrderBody(w, t, paymentDate: Str(t.ToString("yyyy-MM-dd"))), "paymentDate"),
        ["paymentDate yesterday"] = new((w, t) => OrderBody(w, t, paymentDate: Str(t.AddDays(-1).ToString("yyyy-MM-dd"))), "paymentDate"),
        ["paymentDate today + 366"] = new((w, t) => OrderBody(w, t, paymentDate: Str(t.AddDays(366).ToString("yyyy-MM-dd"))), "paymentDate"),
        ["paymentDate not a date"] = new((w, t) => OrderBody(w, t, paymentDate: "\"next month\""), "paymentDate"),
        ["reference missing"] = new((w, t) => OrderBody(w, t, reference: null), "reference"),
        ["reference empty"] = new((w, t) => OrderBody(w, t, reference: "\"\""), "reference"),
        ["reference blank"] = new((w, t) => OrderBody(w, t, reference: "\"   \""), "reference"),
        ["reference 201 characters"] = new((w, t) => OrderBody(w, t, reference: Str(new string('R', 201))), "reference"),
        ["reference with a control character"] = new((w, t) => OrderBody(w, t, reference: Str("PO-1\u0007")), "reference"),
        ["reference a number"] = new((w, t) => OrderBody(w, t, reference: "42"), "reference"),
        ["unknown property status"] = new((w, t) => OrderBody(w, t, extra: ("status", "\"paid\"")), "status"),
        ["unknown property buyerId"] = new((w, t) => OrderBody(w, t, extra: ("buyerId", Str(w.Supplier.Id))), "buyerId"),
        ["unknown property voucherId"] = new((w, t) => OrderBody(w, t, extra: ("voucherId", "\"vc-x\"")), "voucherId"),
    };

    public static TheoryData<string> BadOrderCases() => new(BadOrders.Keys);

    [Theory]
    [MemberData(nameof(BadOrderCases))]
    public async Task PlaceOrder_BadInput_Is400_NamingTheField_AndCreatesNothing(string name)
    {
        var w = await Shared();
        var c = BadOrders[name];
        var key = Guid.NewGuid().ToString("N");
        var before = await w.Snapshot();

        var result = await w.Core.Client.PostRaw("/v1/orders", c.Body(w, await S.Today()), key);

        AssertValidation(result, c.Field);
        Assert.Equal(before, await w.Snapshot());
        await AssertNoOrder(Ids.Order(Ids.Operation(w.Core.Id, key)));
    }

    [Fact]
    public async Task PlaceOrder_WithoutIdempotencyKey_Is400_AndCreatesNothing()
    {
        var w = await Shared();
        var before = await w.Snapshot();

        var result = await w.Core.Client.PostRaw("/v1/orders", OrderBody(w, await S.Today()), idempotencyKey: null);

        AssertProblem(result, HttpStatusCode.BadRequest, "idempotency_key_missing");
        Assert.Equal(before, await w.Snapshot());
    }

    [Theory]
    [InlineData("supplier")]
    [InlineData("funder")]
    [InlineData("sponsor")]
    [InlineData("operator")]
    [InlineData("risk")]
    public async Task PlaceOrder_ByAnyoneButACore_Is403_AndCreatesNothing(string role)
    {
        var w = await Shared();
        var client = await w.ClientOfRole(role);
        var key = Guid.NewGuid().ToString("N");
        var before = await w.Snapshot();

        var result = await client.PostRaw("/v1/orders", OrderBody(w, await S.Today()), key);

        AssertProblem(result, HttpStatusCode.Forbidden, "forbidden");
        Assert.Equal(before, await w.Snapshot());
    }

    // ------------------------------------------------------------------------------------------------
    // GET /v1/orders/{id}
    // ------------------------------------------------------------------------------------------------

    public static TheoryData<string, int> OrderReaders() => new()
    {
        { "buyer", 200 }, { "supplier", 200 }, { "lender", 200 }, { "operator", 200 }, { "risk", 200 }, { "risk scoped to the lender", 200 },
        { "sponsor", 403 },
        { "another core", 404 }, { "another supplier", 404 }, { "a funder that does not lend on it", 404 },
        { "a funder whose financing was refused", 404 }, { "risk scoped to another funder", 404 },
    };

    [Theory]
    [MemberData(nameof(OrderReaders))]
    public async Task GetOrder_WhoMaySeeIt(string who, int expected)
    {
        var w = await Shared();
        var client = who switch
        {
            "buyer" => w.Core.Client,
            "supplier" => w.Supplier.Client,
            "lender" => w.Funder.Client,
            "operator" => S.Operator,
            "risk" => await RiskStaff(null),
            "risk scoped to the lender" => await RiskStaff(w.Funder.Id),
            "sponsor" => (await S.Participant("sponsor")).Client,
            "another core" => (await S.Participant("core")).Client,
            "another supplier" => (await S.Participant("supplier")).Client,
            "a funder that does not lend on it" => (await S.Participant("funder")).Client,
            "a funder whose financing was refused" => await RefusedFunder(w),
            "risk scoped to another funder" => await RiskStaff((await S.Participant("funder")).Id),
            _ => throw new ArgumentOutOfRangeException(nameof(who), who, null),
        };

        var result = await client.Get($"/v1/orders/{w.Order}");

        Assert.True((int)result.Status == expected, $"{who}: expected {expected}, got {(int)result.Status}: {result.Text}");
        switch (expected)
        {
            case 200:
                // The order asked for, as its buyer placed it: whoever reads it, the same buyer, supplier and terms.
                Assert.Equal(
                    $"{w.Order} buyer {w.Core.Id} supplier {w.Supplier.Id} amount 100000.00 paymentDate {Day(w.Today.AddDays(300))} reference PO-1 confirmed voucher -",
                    OrderText(result.Json));
                break;
            case 403:
                AssertProblem(result, HttpStatusCode.Forbidden, "forbidden");
                break;
            default:
                // Exactly as if it did not exist: the same answer, byte for byte, as for an order nobody placed.
                AssertProblem(result, HttpStatusCode.NotFound, "not_found");
                Assert.Equal((await client.Get($"/v1/orders/{GhostOrder()}")).Text, result.Text);
                break;
        }
    }

    /// <summary>A funder that asked to lend on the order without a facility on the supplier: refused, so it is no lender.</summary>
    private async Task<ApiClient> RefusedFunder(World w)
    {
        var funder = await S.Participant("funder");
        AssertProblem(await w.Supplier.Client.Post($"/v1/orders/{w.Order}/financing", new { funderId = funder.Id, amount = 100m }),
            HttpStatusCode.Conflict, "insufficient_limit");
        return funder.Client;
    }

    [Theory]
    [InlineData("not-an-order")]
    [InlineData("or")]
    [InlineData("ln0000")]
    public async Task GetOrder_MalformedId_Is404(string id)
    {
        var w = await Shared();
        AssertProblem(await w.Core.Client.Get($"/v1/orders/{id}"), HttpStatusCode.NotFound, "not_found");
        AssertProblem(await S.Operator.Get($"/v1/orders/{id}"), HttpStatusCode.NotFound, "not_found");
    }

    // ------------------------------------------------------------------------------------------------
    // POST /v1/orders/{id}/cancel
    // ------------------------------------------------------------------------------------------------

    [Fact]
    public async Task CancelOrder_ByAnotherCore_Is404AsIfMissing_ByItsSupplier_Is403_AndChangesNothing()
    {
        var w = await World.Build(S); // fresh: no loan, so only the caller can be the reason for a refusal
        var other = await S.Participant("core");
        var before = await w.Snapshot();

        var foreign = await other.Client.Post($"/v1/orders/{w.Order}/cancel");
        var ghost = await other.Client.Post($"/v1/orders/{GhostOrder()}/cancel");
        var bySupplier = await w.Supplier.Client.Post($"/v1/orders/{w.Order}/cancel");
        var byOperator = await S.Operator.Post($"/v1/orders/{w.Order}/cancel");

        AssertProblem(foreign, HttpStatusCode.NotFound, "not_found");
        Assert.Equal(ghost.Text, foreign.Text);
        AssertProblem(bySupplier, HttpStatusCode.Forbidden, "forbidden");
        AssertProblem(byOperator, HttpStatusCode.Forbidden, "forbidden");
        AssertProblem(await w.Core.Client.Post("/v1/orders/not-an-order/cancel"), HttpStatusCode.NotFound, "not_found");
        Assert.Equal(before, await w.Snapshot());
    }

    [Fact]
    public async Task CancelOrder_Twice_Is409InvalidState_ButAReplayOfTheFirstIsItsAnswer()
    {
        var w = await World.Build(S);
        var key = Guid.NewGuid().ToString("N");

        var first = (await w.Core.Client.Post($"/v1/orders/{w.Order}/cancel", null, key)).Expect(HttpStatusCode.OK);
        Assert.Equal("cancelled", first.Json.GetProperty("status").GetString());
        var cancelled = await w.Snapshot();

        var replay = (await w.Core.Client.Post($"/v1/orders/{w.Order}/cancel", null, key)).Expect(HttpStatusCode.OK);
        Assert.Equal(first.Text, replay.Text);
        Assert.Equal("true", replay.Headers.GetValues("Idempotent-Replayed").Single());

        AssertProblem(await w.Core.Client.Post($"/v1/orders/{w.Order}/cancel"), HttpStatusCode.Conflict, "invalid_state");
        AssertProblem(await w.Core.Client.Post($"/v1/orders/{w.Order}/cancel", null, idempotencyKey: null), HttpStatusCode.Conflict, "invalid_state");
        Assert.Equal(cancelled, await w.Snapshot());
    }

    [Fact]
    public async Task CancelOrder_WithoutAKey_OrWithAnEmptyObject_IsAccepted()
    {
        var w = await World.Build(S);
        var second = await S.Order(w.Core, w.Supplier, 500m);

        var unkeyed = (await w.Core.Client.Post($"/v1/orders/{w.Order}/cancel", null, idempotencyKey: null)).Expect(HttpStatusCode.OK);
        var empty = (await w.Core.Client.PostRaw($"/v1/orders/{second}/cancel", "{}")).Expect(HttpStatusCode.OK);

        Assert.Equal("cancelled", unkeyed.Json.GetProperty("status").GetString());
        Assert.Equal("cancelled", empty.Json.GetProperty("status").GetString());
    }

    [Theory]
    [InlineData("""{"reason":"wrong goods"}""", "reason")]
    [InlineData("""{"status":"cancelled"}""", "status")]
    [InlineData("[]", "body")]
    [InlineData("\"cancel\"", "body")]
    [InlineData("{", "body")]
    public async Task CancelOrder_WithABody_Is400_AndChangesNothing(string body, string field)
    {
        var w = await World.Build(S);
        var before = await w.Snapshot();

        AssertValidation(await w.Core.Client.PostRaw($"/v1/orders/{w.Order}/cancel", body), field);

        Assert.Equal(before, await w.Snapshot());
        Assert.Equal("confirmed", await w.OrderStatus());
    }

    [Fact]
    public async Task CancelOrder_WithALoanOutstanding_Is409InvalidState_AndChangesNothing_UntilTheLoanIsRepaid()
    {
        var w = await World.Build(S);
        var loan = await w.Borrow(30_000m);
        var before = await w.Snapshot();

        AssertProblem(await w.Core.Client.Post($"/v1/orders/{w.Order}/cancel"), HttpStatusCode.Conflict, "invalid_state");
        Assert.Equal(before, await w.Snapshot());

        // Partly repaid: still drawing on the order.
        (await w.Supplier.Client.Post($"/v1/loans/{loan}/repay", new { amount = 29_999.99m })).Expect(HttpStatusCode.OK);
        var partly = await w.Snapshot();
        AssertProblem(await w.Core.Client.Post($"/v1/orders/{w.Order}/cancel"), HttpStatusCode.Conflict, "invalid_state");
        Assert.Equal(partly, await w.Snapshot());

        // Repaid in full (same day: no interest): now the order can be cancelled.
        (await w.Supplier.Client.Post($"/v1/loans/{loan}/repay", new { amount = 0.01m })).Expect(HttpStatusCode.OK);
        (await w.Core.Client.Post($"/v1/orders/{w.Order}/cancel")).Expect(HttpStatusCode.OK);
    }

    [Fact]
    public async Task CancelOrder_Paid_Is409InvalidState_AndChangesNothing()
    {
        var w = await World.Build(S);
        var root = await w.PayOrder();
        var before = await w.Snapshot();

        AssertProblem(await w.Core.Client.Post($"/v1/orders/{w.Order}/cancel"), HttpStatusCode.Conflict, "invalid_state");

        Assert.Equal(before, await w.Snapshot());
        var order = (await w.Core.Client.Get($"/v1/orders/{w.Order}")).Json;
        Assert.Equal(("paid", root), (order.GetProperty("status").GetString(), order.GetProperty("voucherId").GetString()));
    }

    // ------------------------------------------------------------------------------------------------
    // POST /v1/orders/{id}/financing
    // ------------------------------------------------------------------------------------------------

    [Fact]
    public async Task Finance_Is201_WithTheLoan()
    {
        var w = await World.Build(S);
        var paymentDate = (await w.Core.Client.Get($"/v1/orders/{w.Order}")).Json.GetProperty("paymentDate").GetString()!;

        var loan = (await w.Supplier.Client.Post($"/v1/orders/{w.Order}/financing", new { funderId = w.Funder.Id, amount = 12_345.67m }))
            .Expect(HttpStatusCode.Created).Json;

        Assert.Equal((w.Supplier.Id, w.Funder.Id, w.Order, JsonValueKind.Null, JsonValueKind.Null),
            (loan.GetProperty("borrowerId").GetString(), loan.GetProperty("funderId").GetString(), loan.GetProperty("orderId").GetString(),
                loan.GetProperty("groupId").ValueKind, loan.GetProperty("poolId").ValueKind));
        Assert.Equal((12_345.67m, 12_345.67m, 0m, 0.0435m, 0m, "active", 0),
            (loan.GetProperty("principal").GetDecimal(), loan.GetProperty("outstandingPrincipal").GetDecimal(),
                loan.GetProperty("accruedInterest").GetDecimal(), loan.GetProperty("annualRate").GetDecimal(),
                loan.GetProperty("interestPaid").GetDecimal(), loan.GetProperty("status").GetString(), loan.GetProperty("repayments").GetArrayLength()));
        Assert.Equal(w.Today.ToString("yyyy-MM-dd"), loan.GetProperty("disbursedOn").GetString());
        Assert.Equal(DateOnly.Parse(paymentDate).AddDays(30).ToString("yyyy-MM-dd"), loan.GetProperty("dueDate").GetString());
        Assert.Equal(12_345.67m, await w.LendingUsed());
        var id = loan.GetProperty("id").GetString()!;
        Assert.Equal(loan.ToString(), (await w.Funder.Client.Get($"/v1/loans/{id}")).Expect(HttpStatusCode.OK).Json.ToString());
    }

    [Fact]
    public async Task Finance_Over70PercentOfTheOrder_Is409LimitExceeded_AndChangesNothing()
    {
        // An order of 100,000.01: 70% is 70,000.007, so at most 70,000.00 may be borrowed.
        var w = await World.Build(S, orderAmount: 100_000.01m);
        var key = Guid.NewGuid().ToString("N");
        var before = await w.Snapshot();

        var over = await w.Supplier.Client.Post($"/v1/orders/{w.Order}/financing", new { funderId = w.Funder.Id, amount = 70_000.01m }, key);

        AssertProblem(over, HttpStatusCode.Conflict, "limit_exceeded");
        Assert.Equal(before, await w.Snapshot());
        await AssertNoLoan(Ids.Loan(Ids.Operation(w.Supplier.Id, key)));
        Assert.Equal(0m, await w.LendingUsed());

        // The boundary itself is allowed.
        await w.Borrow(70_000m);
        Assert.Equal(70_000m, await w.LendingUsed());
    }

    [Fact]
    public async Task Finance_Over70Percent_LessWhatOtherLoansOfTheOrderHaveOutstanding_Is409LimitExceeded()
    {
        var w = await World.Build(S);
        var first = await w.Borrow(50_000m);
        var before = await w.Snapshot();

        // 70,000 − 50,000 = 20,000 left.
        AssertProblem(await w.Supplier.Client.Post($"/v1/orders/{w.Order}/financing", new { funderId = w.Funder.Id, amount = 20_000.01m }),
            HttpStatusCode.Conflict, "limit_exceeded");
        Assert.Equal(before, await w.Snapshot());
        Assert.Equal(50_000m, await w.LendingUsed());

        // Repaying 10,000.00 of principal (same day: no interest) gives that much room back: 30,000 left, not a fen more.
        (await w.Supplier.Client.Post($"/v1/loans/{first}/repay", new { amount = 10_000m })).Expect(HttpStatusCode.OK);
        var repaid = await w.Snapshot();
        AssertProblem(await w.Supplier.Client.Post($"/v1/orders/{w.Order}/financing", new { funderId = w.Funder.Id, amount = 30_000.01m }),
            HttpStatusCode.Conflict, "limit_exceeded");
        Assert.Equal(repaid, await w.Snapshot());
        await w.Borrow(30_000m);
        Assert.Equal(70_000m, await w.LendingUsed());
    }

    [Fact]
    public async Task Finance_SomeoneElsesOrder_Is404AsIfMissing_AndChangesNothing()
    {
        var w = await World.Build(S);
        var other = await S.Participant("supplier");
        var othersFacility = await S.Facility(w.Funder, other, 100_000m, rate: 0.05m);
        w.Facilities.Add((w.Funder.Client, othersFacility));
        var key = Guid.NewGuid().ToString("N");
        var before = await w.Snapshot();

        var foreign = await other.Client.Post($"/v1/orders/{w.Order}/financing", new { funderId = w.Funder.Id, amount = 10_000m }, key);
        var ghost = await other.Client.Post($"/v1/orders/{GhostOrder()}/financing", new { funderId = w.Funder.Id, amount = 10_000m });

        AssertProblem(foreign, HttpStatusCode.NotFound, "not_found");
        Assert.Equal(ghost.Text, foreign.Text);
        Assert.Equal(before, await w.Snapshot());
        await AssertNoLoan(Ids.Loan(Ids.Operation(other.Id, key)));
        // The order's whole room is still there for its own supplier.
        await w.Borrow(70_000m);
    }

    [Theory]
    [InlineData("not-an-order")]
    [InlineData("or")]
    [InlineData("ln0000")]
    public async Task Finance_MalformedOrderId_Is404(string id)
    {
        var w = await Shared();
        var before = await w.Snapshot();
        AssertProblem(await w.Supplier.Client.Post($"/v1/orders/{id}/financing", new { funderId = w.Funder.Id, amount = 100m }),
            HttpStatusCode.NotFound, "not_found");
        Assert.Equal(before, await w.Snapshot());
    }

    private sealed record FinanceCase(Func<World, Task<string>> Body, string Field);

    private static string FinanceBody(string? funderId, string? amount, params (string, string?)[] extra) =>
        Obj([("funderId", funderId), ("amount", amount), .. extra]);

    private static readonly Dictionary<string, FinanceCase> BadFinancing = new()
    {
        ["funderId missing"] = new(_ => Task.FromResult(FinanceBody(null, "1000")), "funderId"),
        ["funderId blank"] = new(_ => Task.FromResult(FinanceBody("\" \"", "1000")), "funderId"),
        ["funderId unknown"] = new(_ => Task.FromResult(FinanceBody(Str(GhostParticipant()), "1000")), "funderId"),
        ["funderId the buyer (a core)"] = new(w => Task.FromResult(FinanceBody(Str(w.Core.Id), "1000")), "funderId"),
        ["funderId the supplier itself"] = new(w => Task.FromResult(FinanceBody(Str(w.Supplier.Id), "1000")), "funderId"),
        ["funderId a sponsor"] = new(async w => FinanceBody(Str((await w.Scenario.Participant("sponsor")).Id), "1000"), "funderId"),
        ["amount zero"] = new(w => Task.FromResult(FinanceBody(Str(w.Funder.Id), "0")), "amount"),
        ["amount negative"] = new(w => Task.FromResult(FinanceBody(Str(w.Funder.Id), "-1000")), "amount"),
        ["amount 3 decimals"] = new(w => Task.FromResult(FinanceBody(Str(w.Funder.Id), "1000.001")), "amount"),
        ["amount a string"] = new(w => Task.FromResult(FinanceBody(Str(w.Funder.Id), "\"1000\"")), "amount"),
        ["amount missing"] = new(w => Task.FromResult(FinanceBody(Str(w.Funder.Id), null)), "amount"),
        ["amount null"] = new(w => Task.FromResult(FinanceBody(Str(w.Funder.Id), "null")), "amount"),
        ["unknown property annualRate"] = new(w => Task.FromResult(FinanceBody(Str(w.Funder.Id), "1000", ("annualRate", "0"))), "annualRate"),
        ["unknown property borrowerId"] =
            new(w => Task.FromResult(FinanceBody(Str(w.Funder.Id), "1000", ("borrowerId", Str(w.Core.Id)))), "borrowerId"),
        ["unknown property dueDate"] =
            new(w => Task.FromResult(FinanceBody(Str(w.Funder.Id), "1000", ("dueDate", "\"2030-01-01\""))), "dueDate"),
        ["unknown property orderId"] = new(w => Task.FromResult(FinanceBody(Str(w.Funder.Id), "1000", ("orderId", Str(w.Order)))), "orderId"),
    };

    public static TheoryData<string> BadFinancingCases() => new(BadFinancing.Keys);

    [Theory]
    [MemberData(nameof(BadFinancingCases))]
    public async Task Finance_BadInput_Is400_NamingTheField_AndChangesNothing(string name)
    {
        var w = await Shared();
        var c = BadFinancing[name];
        var body = await c.Body(w);
        var key = Guid.NewGuid().ToString("N");
        var before = await w.Snapshot();

        var result = await w.Supplier.Client.PostRaw($"/v1/orders/{w.Order}/financing", body, key);

        AssertValidation(result, c.Field);
        Assert.Equal(before, await w.Snapshot());
        await AssertNoLoan(Ids.Loan(Ids.Operation(w.Supplier.Id, key)));
    }

    [Fact]
    public async Task Finance_WithoutIdempotencyKey_Is400_AndChangesNothing()
    {
        var w = await Shared();
        var before = await w.Snapshot();
        AssertProblem(await w.Supplier.Client.PostRaw($"/v1/orders/{w.Order}/financing", FinanceBody(Str(w.Funder.Id), "1000"), idempotencyKey: null),
            HttpStatusCode.BadRequest, "idempotency_key_missing");
        Assert.Equal(before, await w.Snapshot());
    }

    [Theory]
    [InlineData("core")]
    [InlineData("funder")]
    [InlineData("sponsor")]
    [InlineData("operator")]
    [InlineData("risk")]
    public async Task Finance_ByAnyoneButASupplier_Is403_AndChangesNothing(string role)
    {
        var w = await Shared();
        var client = role switch
        {
            "core" => w.Core.Client,
            "funder" => w.Funder.Client,
            _ => await w.ClientOfRole(role),
        };
        var before = await w.Snapshot();

        AssertProblem(await client.Post($"/v1/orders/{w.Order}/financing", new { funderId = w.Funder.Id, amount = 1000m }),
            HttpStatusCode.Forbidden, "forbidden");

        Assert.Equal(before, await w.Snapshot());
    }

    [Fact]
    public async Task Finance_CancelledOrder_Is409InvalidState_AndChangesNothing()
    {
        var w = await World.Build(S);
        (await w.Core.Client.Post($"/v1/orders/{w.Order}/cancel")).Expect(HttpStatusCode.OK);
        var key = Guid.NewGuid().ToString("N");
        var before = await w.Snapshot();

        var result = await w.Supplier.Client.Post($"/v1/orders/{w.Order}/financing", new { funderId = w.Funder.Id, amount = 1000m }, key);

        AssertProblem(result, HttpStatusCode.Conflict, "invalid_state");
        Assert.Equal(before, await w.Snapshot());
        Assert.Equal(0m, await w.LendingUsed());
        await AssertNoLoan(Ids.Loan(Ids.Operation(w.Supplier.Id, key)));
    }

    [Fact]
    public async Task Finance_PaidOrder_Is409InvalidState_AndChangesNothing()
    {
        var w = await World.Build(S);
        await w.PayOrder();
        var key = Guid.NewGuid().ToString("N");
        var before = await w.Snapshot();

        var result = await w.Supplier.Client.Post($"/v1/orders/{w.Order}/financing", new { funderId = w.Funder.Id, amount = 1000m }, key);

        AssertProblem(result, HttpStatusCode.Conflict, "invalid_state");
        Assert.Equal(before, await w.Snapshot());
        Assert.Equal(0m, await w.LendingUsed());
        await AssertNoLoan(Ids.Loan(Ids.Operation(w.Supplier.Id, key)));
    }

    [Theory]
    [InlineData("no facility at all")]
    [InlineData("a facility on the buyer only")]
    [InlineData("a facility on another supplier")]
    public async Task Finance_FromAFunderWithoutALendingFacilityOnTheSupplier_Is409InsufficientLimit_AndReleasesTheOrdersRoom(string setup)
    {
        var w = await World.Build(S);
        var lender = await S.Participant("funder");
        switch (setup)
        {
            case "a facility on the buyer only":
                w.Facilities.Add((lender.Client, await S.Facility(lender, w.Core, 1_000_000m)));
                break;
            case "a facility on another supplier":
                w.Facilities.Add((lender.Client, await S.Facility(lender, await S.Participant("supplier"), 1_000_000m)));
                break;
        }
        var key = Guid.NewGuid().ToString("N");
        var before = await w.Snapshot();

        var result = await w.Supplier.Client.Post($"/v1/orders/{w.Order}/financing", new { funderId = lender.Id, amount = 70_000m }, key);

        AssertProblem(result, HttpStatusCode.Conflict, "insufficient_limit");
        Assert.Equal(before, await w.Snapshot());
        await AssertNoLoan(Ids.Loan(Ids.Operation(w.Supplier.Id, key)));
        // The room the refused loan held on the order was given back: the whole 70% can still be borrowed.
        await w.Borrow(70_000m);
        // And the refused funder did not become a lender on the order.
        AssertProblem(await lender.Client.Get($"/v1/orders/{w.Order}"), HttpStatusCode.NotFound, "not_found");
    }

    [Fact]
    public async Task Finance_BeyondTheLendingFacilitysRoom_Is409InsufficientLimit_AndChangesNothing()
    {
        var w = await World.Build(S, lendingLimit: 50_000m);
        await w.Borrow(20_000m);
        var key = Guid.NewGuid().ToString("N");
        var before = await w.Snapshot();

        // 30,000 of room on the facility, 50,000 on the order: the facility decides.
        var result = await w.Supplier.Client.Post($"/v1/orders/{w.Order}/financing", new { funderId = w.Funder.Id, amount = 30_000.01m }, key);

        AssertProblem(result, HttpStatusCode.Conflict, "insufficient_limit");
        Assert.Equal(before, await w.Snapshot());
        Assert.Equal(20_000m, await w.LendingUsed());
        await AssertNoLoan(Ids.Loan(Ids.Operation(w.Supplier.Id, key)));
        await w.Borrow(30_000m);
        Assert.Equal(50_000m, await w.LendingUsed());
    }

    [Fact]
    public async Task Finance_RefusedWithAKey_ReplaysTheRefusal_AndChangesNothing()
    {
        var w = await World.Build(S);
        var key = Guid.NewGuid().ToString("N");
        var before = await w.Snapshot();

        var first = await w.Supplier.Client.Post($"/v1/orders/{w.Order}/financing", new { funderId = w.Funder.Id, amount = 70_000.01m }, key);
        var again = await w.Supplier.Client.Post($"/v1/orders/{w.Order}/financing", new { funderId = w.Funder.Id, amount = 70_000.01m }, key);

        AssertProblem(first, HttpStatusCode.Conflict, "limit_exceeded");
        Assert.Equal(first.Text, again.Text);
        Assert.Equal((int)HttpStatusCode.Conflict, (int)again.Status);
        Assert.Equal(before, await w.Snapshot());
    }

    // ------------------------------------------------------------------------------------------------
    // GET /v1/loans/{id}
    // ------------------------------------------------------------------------------------------------

    public static TheoryData<string, int> LoanReaders() => new()
    {
        { "borrower", 200 }, { "lender", 200 }, { "operator", 200 }, { "risk", 200 }, { "risk scoped to the lender", 200 },
        { "core (the buyer)", 403 }, { "another core", 403 }, { "sponsor", 403 },
        { "another supplier", 404 }, { "another funder", 404 }, { "risk scoped to another funder", 404 },
    };

    [Theory]
    [MemberData(nameof(LoanReaders))]
    public async Task GetLoan_WhoMaySeeIt(string who, int expected)
    {
        var w = await Shared();
        var loan = w.Loans[0];
        var client = who switch
        {
            "borrower" => w.Supplier.Client,
            "lender" => w.Funder.Client,
            "operator" => S.Operator,
            "risk" => await RiskStaff(null),
            "risk scoped to the lender" => await RiskStaff(w.Funder.Id),
            "core (the buyer)" => w.Core.Client,
            "another core" => (await S.Participant("core")).Client,
            "sponsor" => (await S.Participant("sponsor")).Client,
            "another supplier" => (await S.Participant("supplier")).Client,
            "another funder" => (await S.Participant("funder")).Client,
            "risk scoped to another funder" => await RiskStaff((await S.Participant("funder")).Id),
            _ => throw new ArgumentOutOfRangeException(nameof(who), who, null),
        };

        var result = await client.Get($"/v1/loans/{loan}");

        Assert.True((int)result.Status == expected, $"{who}: expected {expected}, got {(int)result.Status}: {result.Text}");
        switch (expected)
        {
            case 200:
                // The loan asked for: the supplier's 10,000.00 from the funder against the order, at the lending facility's rate,
                // due 30 days after the order's payment date.
                Assert.Equal(
                    $"{loan} borrower {w.Supplier.Id} funder {w.Funder.Id} order {w.Order} principal 10000.00 outstanding 10000.00 rate 0.0435 "
                    + $"disbursed {Day(w.Today)} due {Day(w.Today.AddDays(330))} active",
                    LoanText(result.Json));
                break;
            case 403:
                AssertProblem(result, HttpStatusCode.Forbidden, "forbidden");
                break;
            default:
                AssertProblem(result, HttpStatusCode.NotFound, "not_found");
                Assert.Equal((await client.Get($"/v1/loans/{GhostLoan()}")).Text, result.Text);
                break;
        }
    }

    [Theory]
    [InlineData("not-a-loan")]
    [InlineData("ln")]
    [InlineData("or0000")]
    public async Task GetLoan_MalformedId_Is404(string id)
    {
        var w = await Shared();
        AssertProblem(await w.Supplier.Client.Get($"/v1/loans/{id}"), HttpStatusCode.NotFound, "not_found");
        AssertProblem(await S.Operator.Get($"/v1/loans/{id}"), HttpStatusCode.NotFound, "not_found");
    }

    [Fact]
    public async Task GetLoan_OfARefusedFinancing_Is404()
    {
        var w = await World.Build(S);
        var key = Guid.NewGuid().ToString("N");
        AssertProblem(await w.Supplier.Client.Post($"/v1/orders/{w.Order}/financing", new { funderId = w.Funder.Id, amount = 80_000m }, key),
            HttpStatusCode.Conflict, "limit_exceeded");
        var id = Ids.Loan(Ids.Operation(w.Supplier.Id, key));
        foreach (var client in new[] { w.Supplier.Client, w.Funder.Client, S.Operator })
            AssertProblem(await client.Get($"/v1/loans/{id}"), HttpStatusCode.NotFound, "not_found");
    }

    // ------------------------------------------------------------------------------------------------
    // POST /v1/loans/{id}/repay
    // ------------------------------------------------------------------------------------------------

    [Fact]
    public async Task Repay_MoreThanIsOwed_Is400_NamingAmount_AndChangesNothing()
    {
        var w = await World.Build(S);
        var loan = await w.Borrow(70_000m);
        (await S.Operator.Post("/v1/admin/clock/advance", new { days = 45 })).Expect(HttpStatusCode.OK);
        // 45 days: 70,000.00 × 0.0435 × 45 / 360 = 380.625 → 380.63; owed today 70,380.63.
        Assert.Equal(380.63m, (await w.Supplier.Client.Get($"/v1/loans/{loan}")).Json.GetProperty("accruedInterest").GetDecimal());
        var key = Guid.NewGuid().ToString("N");
        var before = await w.Snapshot();

        var over = await w.Supplier.Client.Post($"/v1/loans/{loan}/repay", new { amount = 70_380.64m }, key);

        AssertValidation(over, "amount");
        Assert.Equal(before, await w.Snapshot());
        Assert.Equal(70_000m, await w.LendingUsed());
        // Far more than owed is refused just the same.
        AssertValidation(await w.Supplier.Client.Post($"/v1/loans/{loan}/repay", new { amount = 1_000_000m }), "amount");
        Assert.Equal(before, await w.Snapshot());

        // Exactly what is owed is accepted.
        var repaid = (await w.Supplier.Client.Post($"/v1/loans/{loan}/repay", new { amount = 70_380.63m })).Expect(HttpStatusCode.OK).Json;
        Assert.Equal(("repaid", 0m, 380.63m), (repaid.GetProperty("status").GetString(), repaid.GetProperty("outstandingPrincipal").GetDecimal(),
            repaid.GetProperty("interestPaid").GetDecimal()));
        Assert.Equal(0m, await w.LendingUsed());
    }

    [Fact]
    public async Task Repay_ARepaidLoan_Is409InvalidState_AndChangesNothing()
    {
        var w = await World.Build(S);
        var loan = await w.Borrow(5_000m);
        (await w.Supplier.Client.Post($"/v1/loans/{loan}/repay", new { amount = 5_000m })).Expect(HttpStatusCode.OK);
        var before = await w.Snapshot();

        AssertProblem(await w.Supplier.Client.Post($"/v1/loans/{loan}/repay", new { amount = 0.01m }), HttpStatusCode.Conflict, "invalid_state");
        AssertProblem(await w.Supplier.Client.Post($"/v1/loans/{loan}/repay", new { amount = 5_000m }), HttpStatusCode.Conflict, "invalid_state");

        Assert.Equal(before, await w.Snapshot());
        Assert.Equal(0m, await w.LendingUsed());
    }

    [Fact]
    public async Task Repay_SomeoneElsesLoan_Is404AsIfMissing_OtherRoles403_AndChangesNothing()
    {
        var w = await Shared();
        var loan = w.Loans[0];
        var other = await S.Participant("supplier");
        var before = await w.Snapshot();

        var foreign = await other.Client.Post($"/v1/loans/{loan}/repay", new { amount = 100m });
        var ghost = await other.Client.Post($"/v1/loans/{GhostLoan()}/repay", new { amount = 100m });
        AssertProblem(foreign, HttpStatusCode.NotFound, "not_found");
        Assert.Equal(ghost.Text, foreign.Text);
        foreach (var client in new[] { w.Funder.Client, w.Core.Client, S.Operator, await RiskStaff(null) })
            AssertProblem(await client.Post($"/v1/loans/{loan}/repay", new { amount = 100m }), HttpStatusCode.Forbidden, "forbidden");
        AssertProblem(await w.Supplier.Client.Post("/v1/loans/not-a-loan/repay", new { amount = 100m }), HttpStatusCode.NotFound, "not_found");

        Assert.Equal(before, await w.Snapshot());
        Assert.Equal(10_000m, await w.LendingUsed());
    }

    [Theory]
    [InlineData("0", "amount")]
    [InlineData("-1", "amount")]
    [InlineData("-0.01", "amount")]
    [InlineData("1.001", "amount")]
    [InlineData("\"100\"", "amount")]
    [InlineData("null", "amount")]
    [InlineData(null, "amount")]
    [InlineData("1000000000000.01", "amount")]
    public async Task Repay_BadAmount_Is400_AndChangesNothing(string? amount, string field)
    {
        var w = await Shared();
        var loan = w.Loans[0];
        var before = await w.Snapshot();

        AssertValidation(await w.Supplier.Client.PostRaw($"/v1/loans/{loan}/repay", Obj(("amount", amount))), field);

        Assert.Equal(before, await w.Snapshot());
    }

    [Theory]
    [InlineData("""{"amount":100,"interest":0}""", "interest")]
    [InlineData("""{"amount":100,"principal":100}""", "principal")]
    [InlineData("""{"amount":100,"source":"voucher"}""", "source")]
    [InlineData("", "body")]
    [InlineData("[100]", "body")]
    public async Task Repay_UnknownPropertyOrNoObject_Is400_AndChangesNothing(string body, string field)
    {
        var w = await Shared();
        var loan = w.Loans[0];
        var before = await w.Snapshot();

        AssertValidation(await w.Supplier.Client.PostRaw($"/v1/loans/{loan}/repay", body.Length == 0 ? null : body), field);

        Assert.Equal(before, await w.Snapshot());
    }

    [Fact]
    public async Task Repay_WithoutIdempotencyKey_Is400_AndChangesNothing()
    {
        var w = await Shared();
        var loan = w.Loans[0];
        var before = await w.Snapshot();

        AssertProblem(await w.Supplier.Client.Post($"/v1/loans/{loan}/repay", new { amount = 100m }, idempotencyKey: null),
            HttpStatusCode.BadRequest, "idempotency_key_missing");

        Assert.Equal(before, await w.Snapshot());
    }

    // ------------------------------------------------------------------------------------------------
    // POST /v1/vouchers with orderId
    // ------------------------------------------------------------------------------------------------

    private async Task<ApiResult> IssueAgainst(Party core, string beneficiaryId, string? orderId, decimal amount = 100_000m, string? key = "") =>
        await core.Client.Post("/v1/vouchers", new
        {
            beneficiaryId, amount, maturityDate = (await S.Today()).AddDays(30).ToString("yyyy-MM-dd"), orderId,
        }, key);

    [Theory]
    [InlineData("not-an-order")]
    [InlineData("or")]
    [InlineData("ln0000")]
    [InlineData("")]
    public async Task IssueAgainstOrder_MalformedOrderId_Is400_AndChangesNothing(string orderId)
    {
        var w = await Shared();
        var key = Guid.NewGuid().ToString("N");
        var before = await w.Snapshot();

        AssertValidation(await IssueAgainst(w.Core, w.Supplier.Id, orderId, key: key), "orderId");

        Assert.Equal(before, await w.Snapshot());
        await AssertNoVoucher(Ids.VoucherRoot(Ids.Operation(w.Core.Id, key)));
    }

    [Theory]
    [InlineData("another core's order")]
    [InlineData("another core's financed order")]
    [InlineData("an order nobody placed")]
    public async Task IssueAgainstOrder_NotTheCallersOrder_Is400_NamingOrderId_AndChangesNothing(string whose)
    {
        var w = await World.Build(S);
        if (whose == "another core's financed order") await w.Borrow(20_000m);
        var (other, _, _, otherFacility) = await S.Cast(1_000_000m);
        w.Cores.Add(other);
        w.Facilities.Add((S.Operator, otherFacility));
        var orderId = whose == "an order nobody placed" ? GhostOrder() : w.Order;
        var key = Guid.NewGuid().ToString("N");
        var before = await w.Snapshot();

        var result = await IssueAgainst(other, w.Supplier.Id, orderId, key: key);

        AssertValidation(result, "orderId");
        Assert.Equal(before, await w.Snapshot());
        Assert.Equal(0m, (await other.Client.Get($"/v1/participants/{other.Id}/issuance")).Json.GetProperty("outstanding").GetDecimal());
        await AssertNoVoucher(Ids.VoucherRoot(Ids.Operation(other.Id, key)));
        // The order's own buyer can still pay it.
        await w.PayOrder();
    }

    [Fact]
    public async Task IssueAgainstOrder_ToAnotherSupplierThanTheOrders_Is400_NamingBeneficiaryId_AndChangesNothing()
    {
        var w = await World.Build(S);
        var loan = await w.Borrow(20_000m);
        var other = await S.Participant("supplier");
        var key = Guid.NewGuid().ToString("N");
        var before = await w.Snapshot();

        var result = await IssueAgainst(w.Core, other.Id, w.Order, key: key);

        AssertValidation(result, "beneficiaryId");
        Assert.Equal(before, await w.Snapshot());
        await AssertNoVoucher(Ids.VoucherRoot(Ids.Operation(w.Core.Id, key)));
        // The loan is not pinned by the refused voucher: the borrower can still repay it in cash.
        (await w.Supplier.Client.Post($"/v1/loans/{loan}/repay", new { amount = 100m })).Expect(HttpStatusCode.OK);
    }

    [Fact]
    public async Task IssueAgainstACancelledOrder_Is409InvalidState_AndChangesNothing()
    {
        var w = await World.Build(S);
        (await w.Core.Client.Post($"/v1/orders/{w.Order}/cancel")).Expect(HttpStatusCode.OK);
        var key = Guid.NewGuid().ToString("N");
        var before = await w.Snapshot();

        AssertProblem(await IssueAgainst(w.Core, w.Supplier.Id, w.Order, key: key), HttpStatusCode.Conflict, "invalid_state");

        Assert.Equal(before, await w.Snapshot());
        Assert.Equal(0m, await w.IssuanceOutstanding());
        await AssertNoVoucher(Ids.VoucherRoot(Ids.Operation(w.Core.Id, key)));
    }

    [Fact]
    public async Task IssueAgainstAnAlreadyPaidOrder_Is409InvalidState_AndChangesNothing()
    {
        var w = await World.Build(S);
        var first = await w.PayOrder();
        Assert.Equal(100_000m, await w.IssuanceOutstanding());
        var key = Guid.NewGuid().ToString("N");
        var before = await w.Snapshot();

        AssertProblem(await IssueAgainst(w.Core, w.Supplier.Id, w.Order, key: key), HttpStatusCode.Conflict, "invalid_state");
        AssertProblem(await IssueAgainst(w.Core, w.Supplier.Id, w.Order, amount: 1m), HttpStatusCode.Conflict, "invalid_state");

        Assert.Equal(before, await w.Snapshot());
        Assert.Equal(100_000m, await w.IssuanceOutstanding());
        await AssertNoVoucher(Ids.VoucherRoot(Ids.Operation(w.Core.Id, key)));
        Assert.Equal(first, (await w.Core.Client.Get($"/v1/orders/{w.Order}")).Json.GetProperty("voucherId").GetString());
    }

    [Fact]
    public async Task IssueAgainstAFinancedOrder_WhenTheLenderHasNoRoomOnTheBuyer_Is409_AndReleasesEverything()
    {
        // The lender has a facility on the supplier only: the closed loop cannot pass the loan's payoff to it on the core.
        var w = await World.Build(S);
        var lender = await S.Participant("funder");
        var lending = await S.Facility(lender, w.Supplier, 100_000m, rate: 0.05m);
        w.Facilities.Add((lender.Client, lending));
        var loan = (await S.Loan(w.Supplier, w.Order, lender, 40_000m)).Id;
        w.Loans.Add(loan);
        var key = Guid.NewGuid().ToString("N");
        var before = await w.Snapshot();

        AssertProblem(await IssueAgainst(w.Core, w.Supplier.Id, w.Order, key: key), HttpStatusCode.Conflict, "insufficient_limit");

        Assert.Equal(before, await w.Snapshot());
        Assert.Equal(0m, await w.IssuanceOutstanding());
        await AssertNoVoucher(Ids.VoucherRoot(Ids.Operation(w.Core.Id, key)));
        // Nothing stays pinned: the loan takes cash, the order can be paid once the loan is gone.
        (await w.Supplier.Client.Post($"/v1/loans/{loan}/repay", new { amount = 40_000m })).Expect(HttpStatusCode.OK);
        await w.PayOrder();
    }

    [Fact]
    public async Task IssueAgainstAFinancedOrder_BeyondTheBuyersIssuanceLimit_Is409LimitExceeded_AndReleasesEverything()
    {
        var w = await World.Build(S);
        var loan = await w.Borrow(40_000m);
        var key = Guid.NewGuid().ToString("N");
        var before = await w.Snapshot();

        // The buyer's issuance limit is the funder's facility on it, 1,000,000.00: a fen more is refused.
        var result = await IssueAgainst(w.Core, w.Supplier.Id, w.Order, amount: 1_000_000.01m, key: key);

        AssertProblem(result, HttpStatusCode.Conflict, "limit_exceeded");
        Assert.Equal(before, await w.Snapshot());
        Assert.Equal(0m, await w.IssuanceOutstanding());
        await AssertNoVoucher(Ids.VoucherRoot(Ids.Operation(w.Core.Id, key)));
        // The order is not left claimed, nor the loan pinned: a voucher within the limit pays the order and repays the loan.
        await w.PayOrder();
        Assert.Equal("repaid", (await w.Supplier.Client.Get($"/v1/loans/{loan}")).Json.GetProperty("status").GetString());
    }

    // ------------------------------------------------------------------------------------------------
    // The cast and what "nothing changed" means.
    // ------------------------------------------------------------------------------------------------

    /// <summary>
    /// A core with an issuance limit (a funder's facility on it), a supplier, the funder with a lending facility on the
    /// supplier (4.35%), and an order of the core with the supplier, paid in 60 days unless told otherwise.
    /// </summary>
    private sealed class World
    {
        public required Scenario Scenario { get; init; }
        public required Party Core { get; init; }
        public required Party Supplier { get; init; }
        public required Party Funder { get; init; }
        public required string CoreFacility { get; init; }
        public required string Lending { get; init; }
        public required string Order { get; init; }
        public required DateOnly Today { get; init; }

        /// <summary>Everything the snapshot reads: more is added as a test makes it.</summary>
        public List<string> Orders { get; } = new();
        public List<string> Loans { get; } = new();
        public List<(ApiClient Owner, string Id)> Facilities { get; } = new();
        public List<Party> Cores { get; } = new();

        public static async Task<World> Build(Scenario s, decimal orderAmount = 100_000m, decimal lendingLimit = 200_000m, int paymentInDays = 60)
        {
            var (core, supplier, funder, coreFacility) = await s.Cast(1_000_000m, rate: 0.05m);
            var lending = await s.Facility(funder, supplier, lendingLimit, rate: 0.0435m);
            var order = await s.Order(core, supplier, orderAmount, paymentInDays);
            var w = new World
            {
                Scenario = s, Core = core, Supplier = supplier, Funder = funder, CoreFacility = coreFacility, Lending = lending, Order = order,
                Today = await s.Today(),
            };
            w.Orders.Add(order);
            w.Facilities.Add((funder.Client, coreFacility));
            w.Facilities.Add((funder.Client, lending));
            w.Cores.Add(core);
            return w;
        }

        /// <summary>The supplier borrows against the order from the funder; the loan joins the snapshot.</summary>
        public async Task<string> Borrow(decimal amount)
        {
            var id = (await Scenario.Loan(Supplier, Order, Funder, amount)).Id;
            Loans.Add(id);
            return id;
        }

        /// <summary>The buyer pays the order with a voucher of 100,000.00 to its supplier; returns the root id.</summary>
        public async Task<string> PayOrder()
        {
            var root = (await Core.Client.Post("/v1/vouchers", new
            {
                beneficiaryId = Supplier.Id, amount = 100_000m, maturityDate = (await Scenario.Today()).AddDays(30).ToString("yyyy-MM-dd"), orderId = Order,
            })).Expect(HttpStatusCode.Created).Id;
            Assert.Equal("paid", await OrderStatus());
            return root;
        }

        public async Task<string?> OrderStatus() =>
            (await Core.Client.Get($"/v1/orders/{Order}")).Expect(HttpStatusCode.OK).Json.GetProperty("status").GetString();

        public async Task<decimal> LendingUsed() =>
            (await Funder.Client.Get($"/v1/facilities/{Lending}")).Expect(HttpStatusCode.OK).Json.GetProperty("used").GetDecimal();

        public async Task<decimal> IssuanceOutstanding() =>
            (await Core.Client.Get($"/v1/participants/{Core.Id}/issuance")).Expect(HttpStatusCode.OK).Json.GetProperty("outstanding").GetDecimal();

        public async Task<ApiClient> ClientOfRole(string role) => role switch
        {
            "operator" => Scenario.Operator,
            "risk" => await RiskStaffOf(Scenario, null),
            _ => (await Scenario.Participant(role)).Client,
        };

        /// <summary>
        /// The orders as their buyer reads them and as the operator does, the loans as their borrower, lender and the
        /// operator read them, every facility (limit and usage), and each core's issuance position.
        /// </summary>
        public async Task<List<string>> Snapshot()
        {
            var lines = new List<string>();
            foreach (var order in Orders)
            {
                lines.Add("order (buyer) " + (await Core.Client.Get($"/v1/orders/{order}")).Expect(HttpStatusCode.OK).Text);
                lines.Add("order (operator) " + (await Scenario.Operator.Get($"/v1/orders/{order}")).Expect(HttpStatusCode.OK).Text);
            }
            foreach (var loan in Loans)
            {
                var seen = (await Scenario.Operator.Get($"/v1/loans/{loan}")).Expect(HttpStatusCode.OK).Text;
                lines.Add("loan (operator) " + seen);
                lines.Add("loan (borrower) " + (await Supplier.Client.Get($"/v1/loans/{loan}")).Text);
            }
            foreach (var (owner, id) in Facilities) lines.Add(await StateText.Facility(owner, id));
            foreach (var core in Cores) lines.Add(await StateText.Issuance(core));
            lines.Add("vouchers of the supplier: " + string.Join(", ",
                (await Supplier.Client.Get("/v1/vouchers?limit=200")).Expect(HttpStatusCode.OK).Json.GetProperty("items").EnumerateArray()
                .Select(StateText.Fragment)));
            return lines;
        }
    }

    private static readonly ConditionalWeakTable<ApiFixture, Task<World>> SharedWorlds = new();

    /// <summary>
    /// For the tests whose every request must be refused: one world per test class, built once, with an order of 100,000.00
    /// (paid in 300 days, so that no clock advance of this class reaches it) and a loan of 10,000.00 against it. Each test
    /// still compares the world before and after its own refusals; a refusal that changed something fails that test.
    /// </summary>
    private Task<World> Shared() => SharedWorlds.GetValue(fixture, f => BuildShared(f.Scenario));

    private static async Task<World> BuildShared(Scenario s)
    {
        var w = await World.Build(s, paymentInDays: 300);
        await w.Borrow(10_000m);
        return w;
    }

    private async Task<ApiClient> RiskStaff(string? funderId) => await RiskStaffOf(S, funderId);

    private static async Task<ApiClient> RiskStaffOf(Scenario s, string? funderId)
    {
        var created = (await s.Operator.Post("/v1/risk-staff", funderId is null ? new { name = "analyst" } : new { name = "analyst", funderId }))
            .Expect(HttpStatusCode.Created);
        return s.Operator.As(created.Json.GetProperty("apiKey").GetString());
    }

    private async Task AssertNoOrder(string id) => AssertProblem(await S.Operator.Get($"/v1/orders/{id}"), HttpStatusCode.NotFound, "not_found");

    private async Task AssertNoLoan(string id) => AssertProblem(await S.Operator.Get($"/v1/loans/{id}"), HttpStatusCode.NotFound, "not_found");

    private async Task AssertNoVoucher(string id) => AssertProblem(await S.Operator.Get($"/v1/vouchers/{id}"), HttpStatusCode.NotFound, "not_found");


    private static string GhostOrder() => Ids.Order("ghost " + Guid.NewGuid());

    private static string GhostLoan() => Ids.Loan("ghost " + Guid.NewGuid());

    private static string GhostParticipant() => Ids.Participant("ghost " + Guid.NewGuid());

    private static string Str(string value) => JsonSerializer.Serialize(value);

    private static string Day(DateOnly day) => day.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);

    private static string Yuan(JsonElement e, string property) =>
        e.GetProperty(property).GetDecimal().ToString("0.00", System.Globalization.CultureInfo.InvariantCulture);

    private static string OrderText(JsonElement o) =>
        $"{o.GetProperty("id").GetString()} buyer {o.GetProperty("buyerId").GetString()} supplier {o.GetProperty("supplierId").GetString()} "
        + $"amount {Yuan(o, "amount")} paymentDate {o.GetProperty("paymentDate").GetString()} reference {o.GetProperty("reference").GetString()} "
        + $"{o.GetProperty("status").GetString()} voucher {o.GetProperty("voucherId").GetString() ?? "-"}";

    private static string LoanText(JsonElement l) =>
        $"{l.GetProperty("id").GetString()} borrower {l.GetProperty("borrowerId").GetString()} funder {l.GetProperty("funderId").GetString()} "
        + $"order {l.GetProperty("orderId").GetString()} principal {Yuan(l, "principal")} outstanding {Yuan(l, "outstandingPrincipal")} "
        + $"rate {(l.GetProperty("annualRate").GetDecimal() / 1.0000000000000000000000000000m).ToString(System.Globalization.CultureInfo.InvariantCulture)} "
        + $"disbursed {l.GetProperty("disbursedOn").GetString()} due {l.GetProperty("dueDate").GetString()} {l.GetProperty("status").GetString()}";

    /// <summary>A JSON object from raw member values; a null value leaves the member out.</summary>
    private static string Obj(params (string Name, string? Raw)[] members) =>
        "{" + string.Join(",", members.Where(m => m.Raw is not null).Select(m => $"{Str(m.Name)}:{m.Raw}")) + "}";
}
