using System.Text.Json.Nodes;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using SupplyChain.Grains.Common;
using SupplyChain.Grains.Groups;
using SupplyChain.Grains.Loans;
using SupplyChain.Grains.Orders;
using SupplyChain.Grains.Pools;
using SupplyChain.Grains.Vouchers;

namespace SupplyChain.Api.Http;

/// <summary>Endpoint metadata the OpenAPI document is written from: which roles may call, and the Idempotency-Key.</summary>
public sealed record RolesMetadata(IReadOnlyList<Role> Roles);

public sealed record IdempotencyKeyMetadata(bool Optional);

/// <summary>
/// The OpenAPI document as a contract: an introduction (roles, keys, idempotency, money), the bearer scheme, an
/// operation id and a line of description for every operation, the Idempotency-Key header where it applies, every
/// error answer with the problem schema and its codes, enums, strict request schemas and amounts as plain numbers.
/// </summary>
public static class OpenApiSetup
{
    private const string Intro = """
        The platform lets a core enterprise's credit flow down its supply chain: it issues digital credit vouchers to its
        suppliers, who accept, split, pass on or discount them with funders; the core repays the holders at maturity.
        Suppliers also borrow against confirmed orders, in guarantee groups and under risk pools.

        **Roles and keys.** Every `/v1` call carries `Authorization: Bearer <apiKey>`. The operator's key is configured
        (`SupplyChain__OperatorKey`) or printed at start; the operator creates participants (core, supplier, funder,
        sponsor) and risk staff, and each gets its own key, shown once. A role that may never call an endpoint gets 403;
        an object the caller may not see answers 404, exactly as if it did not exist; an object it may see but not act on
        (a fragment it passed on) answers 403.

        **Idempotency.** Every POST that creates or moves value takes `Idempotency-Key` (1 to 255 printable ASCII
        characters, a UUID is best): the same key and body replay the first answer byte for byte (`Idempotent-Replayed:
        true`), another body with the same key answers 422, a key still running answers 409. Nothing is applied twice.

        **Money.** Amounts are JSON numbers in yuan with at most 2 decimals; dates are `YYYY-MM-DD`. Unknown properties in
        a body are refused. Every error is an RFC 9457 problem (`application/problem+json`) with a `code`.
        """;

    /// <summary>Operation id and one line of description, by method and route.</summary>
    private static readonly Dictionary<string, (string Id, string Summary)> Operations = new()
    {
        ["POST v1/participants"] = ("createParticipant", "Registers a core enterprise, supplier, funder or sponsor and returns its API key (shown only here)."),
        ["GET v1/participants/{id}"] = ("getParticipant", "A participant's name and kind."),
        ["POST v1/risk-staff"] = ("createRiskStaff", "Registers risk staff, optionally scoped to one funder's portfolio, and returns its API key."),
        ["POST v1/participants/{id}/issuance-limit"] = ("setIssuanceLimit", "Sets (or, with null, removes) the operator's cap on what a core may have outstanding."),
        ["GET v1/participants/{id}/issuance"] = ("getIssuance", "What a core has outstanding against its issuance limits."),
        ["POST v1/facilities"] = ("createFacility", "A funder grants a facility on an obligor: a limit, a rate and an expiry."),
        ["GET v1/facilities/{id}"] = ("getFacility", "A facility with its limit and what is used."),
        ["POST v1/facilities/{id}/limit"] = ("setFacilityLimit", "Raises or lowers a facility's limit (never below what is used)."),
        ["POST v1/vouchers"] = ("issueVoucher", "A core issues a voucher to a supplier, optionally paying one of its orders."),
        ["GET v1/vouchers"] = ("listVouchers", "The fragments the caller holds (a core: that it issued), a page at a time."),
        ["GET v1/vouchers/{id}"] = ("getVoucher", "One voucher or fragment."),
        ["GET v1/vouchers/{id}/tree"] = ("getVoucherTree", "A voucher's whole tree of fragments."),
        ["POST v1/vouchers/{id}/accept"] = ("acceptVoucher", "The recipient accepts a pending fragment."),
        ["POST v1/vouchers/{id}/reject"] = ("rejectVoucher", "The recipient rejects a pending fragment; its value returns to the sender."),
        ["POST v1/vouchers/{id}/split"] = ("splitVoucher", "The holder splits a fragment into parts that sum to it."),
        ["POST v1/vouchers/{id}/transfer"] = ("transferVoucher", "The holder passes part or all of a fragment to its own supplier."),
        ["POST v1/vouchers/{id}/discount"] = ("discountVoucher", "The holder discounts part or all of a fragment with a funder for cash."),
        ["POST v1/vouchers/{id}/repay"] = ("repayVoucher", "The obligor repays a voucher at or after maturity; every holder is paid."),
        ["POST v1/orders"] = ("placeOrder", "A core confirms an order to a supplier."),
        ["GET v1/orders/{id}"] = ("getOrder", "One order."),
        ["POST v1/orders/{id}/cancel"] = ("cancelOrder", "The buyer cancels an order that is not financed or paid."),
        ["POST v1/orders/{id}/financing"] = ("financeOrder", "The supplier borrows against a confirmed order (up to 70% of it)."),
        ["GET v1/loans/{id}"] = ("getLoan", "One loan, with its waterfall once it defaulted."),
        ["POST v1/loans/{id}/repay"] = ("repayLoan", "The borrower repays part or all of a loan."),
        ["POST v1/loans/{id}/calls/pay"] = ("payGuaranteeCall", "A member called as a guarantor for a defaulted loan pays part or all of its call to the funder."),
        ["POST v1/guarantee-groups"] = ("formGuaranteeGroup", "A funder proposes a joint-guarantee group of 3 to 10 suppliers."),
        ["GET v1/guarantee-groups/{id}"] = ("getGuaranteeGroup", "A group with its members, caps used and outstanding."),
        ["POST v1/guarantee-groups/{id}/consent"] = ("consentToGroup", "A member consents; the group is active once all have."),
        ["POST v1/guarantee-groups/{id}/loans"] = ("borrowInGroup", "A member of an active group borrows under the group's limit."),
        ["POST v1/risk-pools"] = ("createRiskPool", "The operator opens a risk pool with its leverage, coverage ratio and floor."),
        ["GET v1/risk-pools/{id}"] = ("getRiskPool", "A pool with its balance, capacity, contributions and payouts."),
        ["POST v1/risk-pools/{id}/contributions"] = ("contributeToPool", "A sponsor, funder or core adds money to a pool."),
        ["POST v1/risk-pools/{id}/enrollments"] = ("enrollLoan", "A loan's funder puts the loan under a pool's cover."),
        ["GET v1/credit/scores/{supplierId}"] = ("getCreditScore", "A supplier's score 0–1000 from the published scorecard, each factor with its value and points."),
        ["POST v1/credit/policies"] = ("publishCreditPolicy", "A funder publishes its lending policy (it replaces the last): minimum grade, rates, line share, maximum line and term."),
        ["GET v1/credit/policies/{funderId}"] = ("getCreditPolicy", "A funder's current lending policy."),
        ["POST v1/credit/applications"] = ("applyForCredit", "A supplier applies to a funder and is approved (with a credit line) or declined, with the reasons, at once."),
        ["GET v1/credit/lines/{id}"] = ("getCreditLine", "A credit line: limit, what is drawn, rate, expiry, and the signals that suspend it."),
        ["POST v1/credit/lines/{id}/draws"] = ("drawOnCreditLine", "The supplier draws a loan within the line's room for up to the policy's term."),
        ["GET v1/risk/signals"] = ("listSignals", "Early-warning signals on suppliers, with their evidence, in the order they were raised or cleared."),
        ["GET v1/risk/exposures"] = ("listExposures", "Exposures by obligor, funder, group or pool, largest first."),
        ["GET v1/risk/exposures/{kind}/{id}"] = ("getExposure", "One exposure in detail: by status, tier, holder type and counterparty."),
        ["GET v1/risk/chains/{coreId}"] = ("getChain", "A core's supply chain: holders by tier, funder-held against supplier-held."),
        ["GET v1/risk/alerts"] = ("listAlerts", "Alerts as they were raised, a page at a time."),
        ["POST v1/risk/stress"] = ("stressTest", "Each funder's loss if the listed participants defaulted today, after guarantors and pools."),
        ["GET v1/risk/reconciliation"] = ("reconcile", "The streamed exposure aggregates checked against a recomputation."),
        ["GET v1/admin/clock"] = ("getClock", "Today's business date (manual clock only)."),
        ["POST v1/admin/clock/advance"] = ("advanceClock", "Moves the manual clock forward by whole days."),
        ["GET health/live"] = ("live", "200 while the process runs."),
        ["GET health/ready"] = ("ready", "200 once the cluster and the database answer; 503 otherwise."),
    };

    /// <summary>Wire values of the enumerations, by schema property: (declaring type's name, property) → values.</summary>
    private static readonly Dictionary<(string, string), string[]> Enums = new()
    {
        [("CreateParticipantRequest", "kind")] = ["core", "supplier", "funder", "sponsor"],
        [("ParticipantDto", "kind")] = ["core", "supplier", "funder", "sponsor", "risk"],
        [("CreatedParticipantDto", "kind")] = ["core", "supplier", "funder", "sponsor"],
        [("VoucherDto", "status")] = Wire<VoucherStatus>(),
        [("OrderDto", "status")] = Wire<OrderStatus>(),
        [("LoanDto", "status")] = Wire<LoanStatus>(),
        [("GuaranteeGroupDto", "status")] = Wire<GroupStatus>(),
        [("RiskPoolDto", "status")] = Wire<PoolStatus>(),
        [("CreditPolicyRequest", "minGrade")] = ["A", "B", "C", "D"],
        [("CreditPolicyDto", "minGrade")] = ["A", "B", "C", "D"],
        [("CreditScoreDto", "grade")] = ["A", "B", "C", "D", "E"],
        [("CreditLineDto", "grade")] = ["A", "B", "C", "D", "E"],
        [("CreditLineDto", "status")] = ["active", "suspended"],
        [("CreditDecisionDto", "decision")] = ["approved", "declined"],
        [("CreditSignalDto", "kind")] = ["falling_receipts", "core_overdue", "guarantor_called", "loan_overdue"],
    };

    /// <summary>An example body for each request (ids as the platform makes them; amounts in yuan).</summary>
    private static readonly Dictionary<string, string> Examples = new()
    {
        ["CreateParticipantRequest"] = """{"name":"Tier-1 Parts","kind":"supplier"}""",
        ["CreateRiskStaffRequest"] = """{"name":"River Bank risk desk","funderId":"ptq3x8n2k5w7r9t4y6u8"}""",
        ["CreateFacilityRequest"] = """{"funderId":"ptq3x8n2k5w7r9t4y6u8","obligorId":"pta2s4d6f8g2h4j6k8m2","limit":1000000,"annualRate":0.036,"expiresOn":"2030-12-31"}""",
        ["SetLimitRequest"] = """{"limit":1500000}""",
        ["SetIssuanceLimitRequest"] = """{"limit":5000000}""",
        ["IssueVoucherRequest"] = """{"beneficiaryId":"ptb3c5d7e9f2g4h6j8k2","amount":100000,"maturityDate":"2027-03-01"}""",
        ["SplitRequest"] = """{"amounts":[70000,30000]}""",
        ["TransferRequest"] = """{"toId":"ptc4d6e8f2g4h6j8k2m4","amount":20000}""",
        ["DiscountRequest"] = """{"funderId":"ptq3x8n2k5w7r9t4y6u8","amount":30000}""",
        ["AdvanceClockRequest"] = """{"days":90}""",
        ["PlaceOrderRequest"] = """{"supplierId":"ptb3c5d7e9f2g4h6j8k2","amount":50000,"paymentDate":"2027-02-01","reference":"PO-2026-001"}""",
        ["FinanceOrderRequest"] = """{"funderId":"ptq3x8n2k5w7r9t4y6u8","amount":35000}""",
        ["RepayLoanRequest"] = """{"amount":5000.50}""",
        ["FormGroupRequest"] = """{"funderId":"ptq3x8n2k5w7r9t4y6u8","memberIds":["ptb3c5d7e9f2g4h6j8k2","ptc4d6e8f2g4h6j8k2m4","ptd5e7f9g2h4j6k8m2n4"],"groupLimit":200000,"memberCap":30000,"annualRate":0.06,"expiresOn":"2027-12-31"}""",
        ["GroupLoanRequest"] = """{"amount":100000,"termDays":90}""",
        ["CreatePoolRequest"] = """{"name":"County pool","leverage":4,"coverageRatio":0.5,"floor":20000}""",
        ["ContributeRequest"] = """{"contributorId":"pte6f8g2h4j6k8m2n4p6","amount":30000}""",
        ["EnrollRequest"] = """{"loanId":"lnf7g9h2j4k6m8n2p4q6"}""",
        ["StressRequest"] = """{"defaultingIds":["pta2s4d6f8g2h4j6k8m2"]}""",
        ["CreditPolicyRequest"] = """{"funderId":"ptq3x8n2k5w7r9t4y6u8","minGrade":"C","ratesByGrade":{"A":0.045,"B":0.055,"C":0.07},"lineShare":0.3,"maxLimit":500000,"maxTermDays":180}""",
        ["RatesByGradeRequest"] = """{"A":0.045,"B":0.055,"C":0.07,"D":0.09}""",
        ["CreditApplicationRequest"] = """{"funderId":"ptq3x8n2k5w7r9t4y6u8"}""",
        ["CreditDrawRequest"] = """{"amount":20000,"termDays":60}""",
    };

    /// <summary>Request properties that may be left out; every other request property is required.</summary>
    private static readonly HashSet<(string, string)> Optional =
    [
        ("CreateRiskStaffRequest", "funderId"), ("IssueVoucherRequest", "orderId"), ("SetIssuanceLimitRequest", "limit"),
        // Only the grades from A to the policy's minimum need a rate.
        ("RatesByGradeRequest", "A"), ("RatesByGradeRequest", "B"), ("RatesByGradeRequest", "C"), ("RatesByGradeRequest", "D"),
    ];

    private static string[] Wire<T>() where T : struct, Enum => Enum.GetNames<T>().Select(n => n.ToLowerInvariant()).ToArray();

    public static IServiceCollection AddPlatformOpenApi(this IServiceCollection services) =>
        services.AddOpenApi(o =>
        {
            o.AddDocumentTransformer((document, _, _) =>
            {
                document.Info = new OpenApiInfo { Title = "Supply-chain finance API", Version = "v1", Description = Intro };
                document.Components ??= new OpenApiComponents();
                document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
                document.Components.SecuritySchemes["apiKey"] = new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.Http,
                    Scheme = "bearer",
                    Description = "An API key: the operator's, or one returned when a participant or risk staff was created.",
                };
                // The Orleans dashboard's own endpoints are a web page's, not the API's.
                foreach (var path in document.Paths.Keys.Where(p => p.StartsWith("/dashboard", StringComparison.Ordinal)).ToList())
                    document.Paths.Remove(path);
                // The health endpoints are not minimal-API handlers, so the generator does not see them: described here.
                foreach (var (path, (id, summary)) in new[] { ("/health/live", Operations["GET health/live"]), ("/health/ready", Operations["GET health/ready"]) })
                {
                    document.Paths[path] = new OpenApiPathItem
                    {
                        Operations = new Dictionary<HttpMethod, OpenApiOperation>
                        {
                            [HttpMethod.Get] = new()
                            {
                                OperationId = id, Summary = summary, Description = summary + " No API key needed.",
                                Tags = new HashSet<OpenApiTagReference> { new("Health", document) },
                                Responses = new OpenApiResponses
                                {
                                    ["200"] = new OpenApiResponse { Description = "Healthy (text/plain)." },
                                    ["503"] = new OpenApiResponse { Description = "Unhealthy (text/plain)." },
                                },
                            },
                        },
                    };
                }
                foreach (var path in document.Paths.Where(p => p.Key.StartsWith("/v1", StringComparison.Ordinal)))
                    foreach (var operation in path.Value.Operations?.Values ?? Enumerable.Empty<OpenApiOperation>())
                        operation.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference("apiKey", document)] = [] }];
                return Task.CompletedTask;
            });
            o.AddOperationTransformer(DescribeOperation);
            o.AddSchemaTransformer((schema, context, _) =>
            {
                var type = context.JsonTypeInfo.Type;
                if (type == typeof(int) || type == typeof(int?) || type == typeof(long) || type == typeof(long?))
                {
                    schema.Type = JsonSchemaType.Integer; // numbers are numbers on the wire (strict number handling), never strings
                    schema.Pattern = null;
                }
                else if (type == typeof(decimal) || type == typeof(decimal?))
                {
                    schema.Type = JsonSchemaType.Number;
                    schema.Pattern = null;
                    schema.Format = "decimal";
                }
                else if (context.JsonPropertyInfo is { } property && property.DeclaringType.Name.EndsWith("Request", StringComparison.Ordinal)
                         && schema.Type is { } t && t.HasFlag(JsonSchemaType.Null))
                {
                    schema.Type = t & ~JsonSchemaType.Null; // a request property is left out, not sent as null
                }
                if (context.JsonPropertyInfo is { } p && Enums.TryGetValue((p.DeclaringType.Name, p.Name), out var values))
                    schema.Enum = values.Select(v => (JsonNode)JsonValue.Create(v)!).ToList();
                if (type.Name.EndsWith("Request", StringComparison.Ordinal) && schema.Properties is { Count: > 0 })
                {
                    schema.AdditionalPropertiesAllowed = false;
                    if (Examples.TryGetValue(type.Name, out var example)) schema.Examples = [JsonNode.Parse(example)!];
                    schema.Required = schema.Properties.Keys.Where(k => !Optional.Contains((type.Name, k))).ToHashSet();
                }
                return Task.CompletedTask;
            });
        });

    private static Task DescribeOperation(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken _)
    {
        var api = context.Description;
        var route = api.RelativePath ?? "";
        var metadata = api.ActionDescriptor.EndpointMetadata;
        if (Operations.TryGetValue($"{api.HttpMethod} {route}", out var named))
        {
            operation.OperationId = named.Id;
            operation.Summary = named.Summary;
        }
        var roles = metadata.OfType<RolesMetadata>().LastOrDefault();
        var key = metadata.OfType<IdempotencyKeyMetadata>().LastOrDefault();
        operation.Description = (named.Summary ?? "") +
            (roles is null ? "" : $" Who may call: {string.Join(", ", roles.Roles.Select(r => r.ToString().ToLowerInvariant()))}; the endpoint also checks that the caller is party to the object.");
        if (!route.StartsWith("v1", StringComparison.Ordinal)) return Task.CompletedTask;

        if (key is not null)
        {
            operation.Parameters ??= [];
            operation.Parameters.Add(new OpenApiParameter
            {
                Name = Idempotency.Header,
                In = ParameterLocation.Header,
                Required = !key.Optional,
                Description = "Makes the request safe to retry: 1 to 255 printable ASCII characters, new for each new request (a UUID).",
                Schema = new OpenApiSchema { Type = JsonSchemaType.String, MinLength = 1, MaxLength = 255, Pattern = "^[\\x20-\\x7E]+$" },
            });
        }
        foreach (var parameter in operation.Parameters ?? [])
        {
            if (parameter.In == ParameterLocation.Path && parameter.Name != "kind" && parameter is OpenApiParameter p)
            {
                p.Description ??= "An id: 1 to 64 characters, a-z, 0-9 and '-'.";
                p.Schema = new OpenApiSchema { Type = JsonSchemaType.String, MinLength = 1, MaxLength = 64, Pattern = "^[a-z0-9-]+$" };
            }
            if (parameter.In == ParameterLocation.Path && parameter.Name == "kind" && parameter is OpenApiParameter k)
                k.Schema = new OpenApiSchema { Type = JsonSchemaType.String, Enum = [.. new[] { "obligor", "funder", "group", "pool" }.Select(v => (JsonNode)JsonValue.Create(v)!)] };
        }

        var problem = ProblemSchema(context.Document);
        operation.Responses ??= new OpenApiResponses();
        void Error(int status, string when, params string[] codes) =>
            operation.Responses![status.ToString(System.Globalization.CultureInfo.InvariantCulture)] = new OpenApiResponse
            {
                Description = $"{when} Codes: {string.Join(", ", codes)}.",
                Content = new Dictionary<string, OpenApiMediaType> { ["application/problem+json"] = new() { Schema = problem } },
            };
        var hasBody = api.HttpMethod == "POST";
        var hasIds = route.Contains('{');
        if (hasBody || key is not null)
            Error(400, "The request is not valid (a field, an unknown property, a missing or malformed Idempotency-Key).",
                FaultCodes.ValidationFailed, FaultCodes.IdempotencyKeyMissing, FaultCodes.RequestRejected);
        Error(401, "No API key, or one the platform does not know.", FaultCodes.Unauthenticated);
        if (roles is not null || hasIds) Error(403, "The caller's role may not call this, or it may see the object but not act on it.", FaultCodes.Forbidden);
        if (hasIds || hasBody) Error(404, "The object does not exist, or the caller may not see it.", FaultCodes.NotFound);
        if (hasBody)
        {
            Error(409, "The object's state or a limit does not allow it, or a request with the same key is still running.",
                FaultCodes.InvalidState, FaultCodes.InsufficientLimit, FaultCodes.LimitExceeded, FaultCodes.TierLimit, FaultCodes.Tenor,
                FaultCodes.Conflict, FaultCodes.IdempotencyKeyInFlight);
            if (key is not null) Error(422, "The Idempotency-Key was used with another request.", FaultCodes.IdempotencyKeyReused);
        }
        Error(500, "Something unexpected; logged under the problem's correlationId. Safe to retry with the same key.", FaultCodes.InternalError);
        return Task.CompletedTask;
    }

    /// <summary>The RFC 9457 problem document, once in the components, referenced by every error answer.</summary>
    private static IOpenApiSchema ProblemSchema(OpenApiDocument? document)
    {
        var schema = new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Description = "An RFC 9457 problem document. `code` is the one field a client branches on.",
            Required = new HashSet<string> { "type", "title", "status", "detail", "code" },
            Properties = new Dictionary<string, IOpenApiSchema>
            {
                ["type"] = new OpenApiSchema { Type = JsonSchemaType.String, Format = "uri" },
                ["title"] = new OpenApiSchema { Type = JsonSchemaType.String },
                ["status"] = new OpenApiSchema { Type = JsonSchemaType.Integer },
                ["detail"] = new OpenApiSchema { Type = JsonSchemaType.String },
                ["code"] = new OpenApiSchema
                {
                    Type = JsonSchemaType.String,
                    Enum = [.. typeof(FaultCodes).GetFields().Select(f => (JsonNode)JsonValue.Create((string)f.GetValue(null)!)!)],
                },
                ["errors"] = new OpenApiSchema
                {
                    Type = JsonSchemaType.Object,
                    Description = "With validation_failed: field → messages.",
                    AdditionalProperties = new OpenApiSchema { Type = JsonSchemaType.Array, Items = new OpenApiSchema { Type = JsonSchemaType.String } },
                },
                ["correlationId"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "With internal_error: quote it to the operator." },
            },
        };
        if (document is null) return schema;
        document.Components ??= new OpenApiComponents();
        document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>();
        document.Components.Schemas.TryAdd("Problem", schema);
        return new OpenApiSchemaReference("Problem", document);
    }
}
