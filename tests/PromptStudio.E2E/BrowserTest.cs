using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Xunit;

namespace PromptStudio.E2E;

/// <summary>A fresh browser context per test; a failed test leaves a full-page screenshot in the configured folder.</summary>
public abstract partial class BrowserTest(StudioApp app) : IAsyncLifetime
{
    private readonly List<IBrowserContext> _contexts = [];

    protected StudioApp App { get; } = app;

    protected IPage Page { get; private set; } = default!;

    /// <summary>Who the test's browser is signed in as: the workspace owner unless a test says otherwise.</summary>
    protected virtual string? StorageState => App.OwnerStorageState;

    public async ValueTask InitializeAsync() => Page = await NewBrowserPageAsync();

    /// <summary>A page in a browser context of its own: another user, with its own circuit.</summary>
    protected async Task<IPage> NewBrowserPageAsync()
    {
        var context = await App.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = App.BaseUrl,
            StorageStatePath = StorageState,
            ViewportSize = new ViewportSize { Width = App.Settings.ViewportWidth, Height = App.Settings.ViewportHeight },
        });
        context.SetDefaultTimeout(App.Settings.ActionTimeoutMs);
        context.SetDefaultNavigationTimeout(App.Settings.NavigationTimeoutMs);
        _contexts.Add(context);
        return await context.NewPageAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (_contexts.Count == 0) return;
        if (TestContext.Current.TestState?.Result == TestResult.Failed)
        {
            Directory.CreateDirectory(App.Settings.ScreenshotsFolder);
            var name = UnsafeFileChars().Replace(TestContext.Current.Test?.TestDisplayName ?? "test", "_");
            await Page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(App.Settings.ScreenshotsFolder, $"{name[..Math.Min(name.Length, 150)]}.png"), FullPage = true });
        }
        foreach (var context in _contexts) await context.DisposeAsync();
    }

    /// <summary>Opens a page and waits for the circuit: until then the dashboard keeps its buttons disabled.</summary>
    protected Task OpenAsync(string path) => OpenAsync(Page, path);

    protected static async Task OpenAsync(IPage page, string path)
    {
        await page.GotoAsync(path);
        await Assertions.Expect(page.Locator("main[data-interactive=true]")).ToHaveCountAsync(1);
    }

    protected ILocator ByTestId(string testId) => Page.GetByTestId(testId);

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    [GeneratedRegex("[^A-Za-z0-9_.-]+")]
    private static partial Regex UnsafeFileChars();
}
