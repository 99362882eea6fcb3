using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using SupplyChain.Db;

namespace SupplyChain.Api.Http;

/// <summary>A start-up the process refuses, with one line saying why and what to do (no stack trace).</summary>
public sealed class StartupRefusedException(string message) : Exception(message)
{
    /// <summary>Builds and runs a process: 0 when it stops, 2 with the one line on stderr when its start is refused.</summary>
    public static async Task<int> ExitCodeOf(Func<Task<WebApplication>> build)
    {
        WebApplication app;
        try
        {
            app = await build();
        }
        catch (StartupRefusedException e)
        {
            Console.Error.WriteLine(e.Message);
            return 2;
        }
        await app.RunAsync();
        return 0;
    }
}

/// <summary>
/// Before a silo or a client-api process uses its database: the database exists (created when the role may), and
/// the schema is current (forward-only migrations under an advisory lock, so any number of processes may start at
/// once, in any order: a client-api started before any silo brings the schema up itself instead of failing).
/// </summary>
public static class SchemaGate
{
    /// <summary>Returns a one-line description of where state lives, for the start banner.</summary>
    public static async Task<string> PrepareAsync(string connectionString)
    {
        var refused = await DatabaseBootstrap.EnsureExistsAsync(connectionString);
        if (refused is not null) throw new StartupRefusedException(refused);
        await using var dataSource = NpgsqlDataSource.Create(Database.Tune(connectionString, defaultMaxPoolSize: 2));
        await new MigrationRunner(dataSource, NullLogger<MigrationRunner>.Instance).RunAsync();
        var b = new NpgsqlConnectionStringBuilder(connectionString);
        return $"PostgreSQL, database '{b.Database}' on {b.Host}:{b.Port} (schema current)";
    }
}
