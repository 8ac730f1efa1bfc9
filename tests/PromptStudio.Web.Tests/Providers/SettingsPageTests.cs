using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using MudBlazor.Services;
using PromptStudio.Web.Components.Pages;
using PromptStudio.Web.Providers;
using PromptStudio.Web.Workspaces;
using Xunit;

namespace PromptStudio.Web.Tests.Providers;

/// <summary>The settings page over the real provider service of a test app.</summary>
public sealed class SettingsPageTests : FakeServerTestBase
{
    protected override FakeReply DefaultReply(FakeCall call) => new("pong");

    private BunitContext Context()
    {
        var ctx = new BunitContext();
        ctx.JSInterop.Mode = JSRuntimeMode.Loose;
        ctx.Services.AddMudServices();
        ctx.Services.AddSingleton(App.Services.GetRequiredService<ProviderService>());
        ctx.Services.AddSingleton(App.Services.GetRequiredService<WorkspaceService>());
        ctx.Services.AddSingleton(App.Services.GetRequiredService<PromptStudio.Web.Api.ApiKeyService>());
        ctx.Services.AddSingleton(App.Services.GetRequiredService<PromptStudio.Web.Auth.AuditLog>());
        ctx.Services.AddScoped(_ => Infrastructure.TestWorkspaces.SignedIn(WorkspaceRole.Owner));
        ctx.SetRendererInfo(new RendererInfo("Server", isInteractive: true));
        ctx.Render<MudPopoverProvider>();
        return ctx;
    }

    [Fact]
    public async Task ListsProviders_AndTestConnectionShowsTheOutcomeInWords()
    {
        var provider = await App.CreateProviderAsync(Server);
        await using var ctx = Context();

        var page = ctx.Render<Settings>();
        page.WaitForElement($"[data-testid=provider-row-{provider.Id}]");
        Assert.Contains("••••9f3a", page.Find($"[data-testid=provider-row-{provider.Id}]").TextContent, StringComparison.Ordinal);

        page.Find($"[data-testid=provider-test-{provider.Id}]").Click();

        page.WaitForAssertion(() => Assert.Contains("answered \"pong\"", page.Find($"[data-testid=provider-test-result-{provider.Id}]").TextContent, StringComparison.Ordinal),
            TimeSpan.FromSeconds(10));
    }

    /// <summary>The input of a MudBlazor field, whichever element carries the test id.</summary>
    private static AngleSharp.Dom.IElement Field(IRenderedComponent<Settings> page, string testId)
    {
        var element = page.Find($"[data-testid={testId}]");
        return element.TagName is "INPUT" or "TEXTAREA" ? element : element.QuerySelector("input, textarea")!;
    }

    [Fact]
    public async Task AddingAProvider_ShowsFieldErrors_ThenSavesIt()
    {
        await using var ctx = Context();
        var page = ctx.Render<Settings>();
        page.WaitForElement("[data-testid=providers-empty]");

        page.Find("[data-testid=provider-add]").Click();
        page.Find("[data-testid=provider-save]").Click();
        page.WaitForElement("[data-testid=provider-form-error]");

        Field(page, "provider-name").Change("Local");
        Field(page, "provider-base-url").Change(Server.OpenAIBaseUrl);
        Field(page, "provider-api-key").Change("sk-abcdefgh1234");
        Field(page, "provider-models").Change("m1, m2");
        Field(page, "provider-prices").Change("m1 = 0.5 / 1.5");
        page.Find("[data-testid=provider-save]").Click();

        page.WaitForAssertion(() => Assert.Contains("••••1234", page.Find("[data-testid=providers-table]").TextContent, StringComparison.Ordinal), TimeSpan.FromSeconds(10));
        var saved = Assert.Single(await App.Services.GetRequiredService<ProviderService>().ListAsync(DefaultWorkspace.Id, Ct));
        Assert.Equal(["m1", "m2"], saved.Models);
        Assert.Equal(1.5m, saved.Prices["m1"].OutputPerMillion);
    }
}
