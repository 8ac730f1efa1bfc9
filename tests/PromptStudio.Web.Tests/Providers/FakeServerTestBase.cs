using Xunit;

namespace PromptStudio.Web.Tests.Providers;

/// <summary>A fresh app on its own database and a fresh fake LLM server for each test.</summary>
public abstract class FakeServerTestBase : IAsyncLifetime
{
    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    protected FakeLlmServer Server { get; private set; } = null!;

    protected ProvidersTestApp App { get; private set; } = null!;

    /// <summary>How the server answers unless a test says otherwise.</summary>
    protected abstract FakeReply DefaultReply(FakeCall call);

    public async ValueTask InitializeAsync()
    {
        Server = await FakeLlmServer.StartAsync();
        Server.Script = DefaultReply;
        App = new ProvidersTestApp();
    }

    public async ValueTask DisposeAsync()
    {
        await App.DisposeAsync();
        await Server.DisposeAsync();
        GC.SuppressFinalize(this);
    }
}
