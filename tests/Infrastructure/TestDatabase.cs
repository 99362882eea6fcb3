using Npgsql;

namespace SupplyChain.Tests.Infrastructure;

/// <summary>
/// A fresh PostgreSQL database for one test class, dropped afterwards. The server comes from
/// SUPPLYCHAIN_TEST_PG (default: postgres/postgres on 127.0.0.1:5432), which ./test.sh provides.
/// </summary>
public sealed class TestDatabase : IDisposable
{
    public static string ServerConnectionString =>
        Environment.GetEnvironmentVariable("SUPPLYCHAIN_TEST_PG") ?? "Host=127.0.0.1;Port=5432;Username=postgres;Password=postgres";

    public TestDatabase(string owner)
    {
        var name = $"sct_{new string(owner.ToLowerInvariant().Where(char.IsLetterOrDigit).Take(30).ToArray())}_{Guid.NewGuid():N}";
        Name = name[..Math.Min(name.Length, 60)];
        using var connection = new NpgsqlConnection(ServerConnectionString);
        connection.Open();
        using var command = new NpgsqlCommand($"CREATE DATABASE \"{Name}\"", connection);
        command.ExecuteNonQuery();
        ConnectionString = new NpgsqlConnectionStringBuilder(ServerConnectionString) { Database = Name, MaxPoolSize = 30 }.ConnectionString;
    }

    public string Name { get; }

    public string ConnectionString { get; }

    public NpgsqlConnection Open()
    {
        var connection = new NpgsqlConnection(ConnectionString);
        connection.Open();
        return connection;
    }

    public void Dispose()
    {
        NpgsqlConnection.ClearAllPools();
        using var connection = new NpgsqlConnection(ServerConnectionString);
        connection.Open();
        using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{Name}\" WITH (FORCE)", connection);
        command.ExecuteNonQuery();
    }
}
