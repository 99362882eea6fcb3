using SupplyChain.Api.Contracts;
using SupplyChain.Api.Http;
using SupplyChain.Grains.Clock;
using SupplyChain.Grains.Common;
using SupplyChain.Grains.Maturity;

namespace SupplyChain.Api.Apis;

public static class AdminApi
{
    public static RouteGroupBuilder MapAdminApi(this RouteGroupBuilder v1)
    {
        // Moving the clock moves no value; a key is honoured when given, not required.
        v1.MapPost("/admin/clock/advance", Advance).JsonBody<AdvanceClockRequest>().AllowRoles(Role.Operator).RequireIdempotencyKey(optional: true)
.Produces<ClockDto>();
        v1.MapGet("/admin/clock", Today).AllowRoles(Role.Operator).Produces<ClockDto>();
        return v1;
    }

    private static async Task<ApiResponse> Advance(HttpContext http, IGrainFactory grains, PlatformClock clock)
    {
        if (!clock.IsManual) return ApiResponse.NotFound("Manual clock");
        var (body, problem) = await Body.ReadAsync<AdvanceClockRequest>(http);
        if (problem is not null) return problem;
        var v = new Validation();
        var days = v.Required("days", body!.Days);
        if (body.Days is < 1 or > 3660) v.Add("days", "must be between 1 and 3660");
        if (!v.IsValid) return v.Problem();
        var today = await grains.GetGrain<IClockGrain>(ClockGrain.Key).Advance(days);
        // Whatever fell due by the new date is processed now, not at the next minute's tick.
        await grains.GetGrain<IMaturitySweepGrain>(MaturitySweepGrain.Key).Sweep();
        return ApiResponse.Ok(new ClockDto(today));
    }

    private static async Task<ApiResponse> Today(PlatformClock clock) =>
        clock.IsManual ? ApiResponse.Ok(new ClockDto(await clock.TodayAsync())) : ApiResponse.NotFound("Manual clock");
}
