using System.Diagnostics;
using System.Net;

namespace SupplyChain.Tests.Infrastructure;

/// <summary>How the fault tests' clients talk to a cluster whose processes die: retry with the same key until a definite answer.</summary>
public static class Retrying
{
    /// <summary>
    /// Sends one request until it gets a definite answer (below 500, and not "key in flight"), to a random process of
    /// <paramref name="silos"/> each time, always with the same Idempotency-Key.
    /// </summary>
    /// <param name="failed">Told of every attempt that got no definite answer (the process died under it, a 5xx, or the key in flight).</param>
    public static async Task<ApiResult> Definitely(IReadOnlyList<SiloProcess> silos, string? apiKey, string path, object? body, string key, Random random,
        Action? failed = null)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var silo = silos[random.Next(silos.Count)];
            try
            {
                var answer = await silo.Client(apiKey).Post(path, body, key);
                var inFlight = answer.Status == HttpStatusCode.Conflict && answer.Code == "idempotency_key_in_flight";
                if ((int)answer.Status < 500 && !inFlight) return answer;
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }
            failed?.Invoke();
            if (deadline.Elapsed > TimeSpan.FromSeconds(180)) throw new TimeoutException($"No definite answer to {path} in 180 s");
            await Task.Delay(TimeSpan.FromMilliseconds(100 + random.Next(200)), CancellationToken.None);
        }
    }
}
