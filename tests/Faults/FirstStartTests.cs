using System.Net;
using Npgsql;
using SupplyChain.Tests.Infrastructure;

namespace SupplyChain.Tests.Faults;

/// <summary>
/// A newcomer's first start, with the real executables: a database that does not exist yet, a client-api started
/// before any silo, a generated operator key read from the start banner, and a database that refuses the user.
/// </summary>
public sealed class FirstStartTests
{
    [Fact]
    public async Task OnAMissingDatabase_TheClientApiFirst_CreatesItAppliesTheSchema_AndWaitsForASilo_ThenTheBannerKeyWorks()
    {
        var name = $"sct_firststart_{Guid.NewGuid():N}"[..40];
        var connectionString = new NpgsqlConnectionStringBuilder(TestDatabase.ServerConnectionString) { Database = name }.ConnectionString;
        await using var api = new SiloProcess(connectionString, "SupplyChain.ClientApi");
        await using var silo = new SiloProcess(connectionString);
        silo.Environment["SupplyChain__OperatorKey"] = ""; // generated, shown in the banner
        try
        {
            var apiStarting = api.StartAsync();
            await Eventually.True(() => Task.FromResult(api.CountOutput("no silo of the cluster answers yet") > 0), TimeSpan.FromSeconds(60),
                $"the client-api waits for a silo instead of exiting (log: {api.LogPath})");
            Assert.Equal(1, api.CountOutput($"Created the database '{name}'"));

            await silo.StartAsync();
            await apiStarting;
            await Eventually.True(() => Task.FromResult(silo.CountOutput("Supply-chain finance silo is ready.") == 1), TimeSpan.FromSeconds(10), "the banner");
            var keyLine = silo.FirstOutput("Operator key")!;
            var operatorKey = keyLine.Split(' ', StringSplitOptions.RemoveEmptyEntries)[3]; // "║ Operator key   sk_… ║"
            Assert.StartsWith("sk_", operatorKey);
            Assert.Equal(0, api.CountOutput("orleansquery"));

            // The generated key is the silo's operator; the client-api (configured with its own key) serves the same cluster.
            var viaSilo = silo.Client(operatorKey);
            var created = (await viaSilo.Post("/v1/participants", new { name = "First Co", kind = "core" })).Expect(HttpStatusCode.Created);
            (await api.Client().Get($"/v1/participants/{created.Id}")).Expect(HttpStatusCode.OK);
            Assert.Equal(HttpStatusCode.Unauthorized, (await api.Client(operatorKey).Get($"/v1/participants/{created.Id}")).Status);
        }
        finally
        {
            await api.DisposeAsync();
            await silo.DisposeAsync();
            NpgsqlConnection.ClearAllPools();
            await using var server = new NpgsqlConnection(TestDatabase.ServerConnectionString);
            await server.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", server);
            await drop.ExecuteNonQueryAsync();
        }
    }

    [Fact]
    public async Task ADatabaseThatRefusesTheUser_StopsTheSilo_WithOneClearLine()
    {
        var connectionString = new NpgsqlConnectionStringBuilder(TestDatabase.ServerConnectionString) { Database = "postgres", Password = "wrong-password" }.ConnectionString;
        await using var silo = new SiloProcess(connectionString);
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(silo.StartAsync);
        Assert.Contains("(code 2)", refused.Message);
        Assert.Contains("check the user and password in ConnectionStrings__SupplyChain", refused.Message);
        Assert.DoesNotContain("   at ", refused.Message); // no stack trace
    }
}
