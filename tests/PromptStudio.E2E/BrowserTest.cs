using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Xunit;

namespace PromptStudio.E2E;

/// <summary>A fresh browser context per test; a failed test leaves a full-page screenshot in the configured folder.</summary>
public abstract partial class BrowserTest(StudioApp app) : IAsyncLifetime
{
    private IBrowserContext? _context;

    protected StudioApp App { get; } = app;

    protected IPage Page { get; private set; } = default!;

    /// <summary>Who the test's browser is signed in as: the workspace owner unless a test says otherwise.</summary>
    protected virtual string? StorageState => App.OwnerStorageState;

    public async ValueTask InitializeAsync()
    {
        _context = await App.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = App.BaseUrl,
            StorageStatePath = StorageState,
            ViewportSize = new ViewportSize { Width = App.Settings.ViewportWidth, Height = App.Settings.ViewportHeight },
        });
        _context.SetDefaultTimeout(App.Settings.ActionTimeoutMs);
        _context.SetDefaultNavigationTimeout(App.Settings.NavigationTimeoutMs);
        Page = await _context.NewPageAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (_context is null) return;
        if (TestContext.Current.TestState?.Result == TestResult.Failed)
        {
            Directory.CreateDirectory(App.Settings.ScreenshotsFolder);
            var name = UnsafeFileChars().Replace(TestContext.Current.Test?.TestDisplayName ?? "test", "_");
            await Page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(App.Settings.ScreenshotsFolder, $"{name[..Math.Min(name.Length, 150)]}.png"), FullPage = true });
        }
        await _context.DisposeAsync();
    }

    /// <summary>Opens a page and waits for the circuit: until then the dashboard keeps its buttons disabled.</summary>
    protected async Task OpenAsync(string path)
    {
        await Page.GotoAsync(path);
        await Assertions.Expect(Page.Locator("main[data-interactive=true]")).ToHaveCountAsync(1);
    }

    protected ILocator ByTestId(string testId) => Page.GetByTestId(testId);

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    [GeneratedRegex("[^A-Za-z0-9_.-]+")]
    private static partial Regex UnsafeFileChars();
}
