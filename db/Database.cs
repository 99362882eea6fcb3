using Npgsql;

namespace SupplyChain.Db;

public static class Database
{
    /// <summary>
    /// Normalises a connection string for this platform: a bounded pool per process (PostgreSQL's default
    /// max_connections equals Npgsql's default pool), no session reset on close (about twice the write rate), and
    /// statements prepared once per connection after a few uses (the hot writes are parsed and planned once, not per call).
    /// Explicit settings in the given string win.
    /// </summary>
    public static string Tune(string connectionString, int defaultMaxPoolSize = 25)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (!connectionString.Contains("Maximum Pool Size", StringComparison.OrdinalIgnoreCase)
            && !connectionString.Contains("MaxPoolSize", StringComparison.OrdinalIgnoreCase))
            builder.MaxPoolSize = defaultMaxPoolSize;
        if (!connectionString.Contains("No Reset On Close", StringComparison.OrdinalIgnoreCase))
            builder.NoResetOnClose = true;
        if (!connectionString.Contains("Auto Prepare", StringComparison.OrdinalIgnoreCase))
            builder.MaxAutoPrepare = 64;
        return builder.ConnectionString;
    }
}

/// <summary>
/// The first contact with the configured database, before anything else uses it: a database that does not exist is
/// created when the configured role may (CREATE DATABASE from the server's maintenance database); otherwise the
/// process is told, in one line, what is wrong and what to run.
/// </summary>
public static class DatabaseBootstrap
{
    /// <summary>Null when the database answers (created now if need be); else one line for the operator.</summary>
    public static async Task<string?> EnsureExistsAsync(string connectionString, CancellationToken cancellationToken = default)
    {
        var target = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false, Timeout = 10 };
        var name = target.Database ?? target.Username ?? "postgres";
        try
        {
            await using var connection = new NpgsqlConnection(target.ConnectionString);
            await connection.OpenAsync(cancellationToken);
            return null;
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InvalidCatalogName)
        {
            // Missing: create it from the maintenance database, as the same role.
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.InvalidPassword or PostgresErrorCodes.InvalidAuthorizationSpecification)
        {
            return $"PostgreSQL at {target.Host}:{target.Port} refused user '{target.Username}' ({e.MessageText}): check the user and password in ConnectionStrings__SupplyChain.";
        }
        catch (Exception e) when (e is NpgsqlException or System.Net.Sockets.SocketException or TimeoutException)
        {
            return $"PostgreSQL does not answer at {target.Host}:{target.Port} ({e.Message.TrimEnd('.')}): start it, or fix ConnectionStrings__SupplyChain.";
        }

        var maintenance = new NpgsqlConnectionStringBuilder(target.ConnectionString) { Database = "postgres" };
        try
        {
            await using var connection = new NpgsqlConnection(maintenance.ConnectionString);
            await connection.OpenAsync(cancellationToken);
            await using var create = connection.CreateCommand();
            create.CommandText = $"CREATE DATABASE \"{name.Replace("\"", "\"\"")}\"";
            await create.ExecuteNonQueryAsync(cancellationToken);
            Console.WriteLine($"Created the database '{name}' on {target.Host}:{target.Port}.");
            return null;
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.DuplicateDatabase)
        {
            return null; // another process created it at the same moment
        }
        catch (Exception e) when (e is NpgsqlException)
        {
            return $"The database '{name}' does not exist on {target.Host}:{target.Port} and user '{target.Username}' may not create it " +
                $"({(e as PostgresException)?.MessageText ?? e.Message}): run  createdb -h {target.Host} -p {target.Port} -U <a user who may> {name}  and start again.";
        }
    }
}
