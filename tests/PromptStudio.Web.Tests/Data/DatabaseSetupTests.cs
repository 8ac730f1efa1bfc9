using Microsoft.Extensions.Configuration;
using Npgsql;
using PromptStudio.Web.Data;

namespace PromptStudio.Web.Tests.Data;

public sealed class DatabaseSetupTests
{
    [Fact]
    public void PostgresConnections_EndTransactionsLeftIdleForALease()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Jobs:LeaseDuration"] = "00:00:07" }).Build();

        var connectionString = DatabaseSetup.WithStalledTransactionLimit("Host=db;Database=promptstudio;Options=-c search_path=studio", configuration);

        Assert.Equal("-c search_path=studio -c idle_in_transaction_session_timeout=7000", new NpgsqlConnectionStringBuilder(connectionString).Options);
    }

    [Fact]
    public void AnIdleTransactionTimeoutInTheConnectionString_Wins()
    {
        const string configured = "Host=db;Options=-c idle_in_transaction_session_timeout=0";

        Assert.Equal(configured, DatabaseSetup.WithStalledTransactionLimit(configured, new ConfigurationBuilder().Build()));
    }
}
