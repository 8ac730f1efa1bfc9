using MudBlazor;

namespace PromptStudio.Web.Components.Layout;

/// <summary>
/// MudBlazor's palette with state colours dark enough (light theme) or light enough (dark theme) for
/// small text on filled chips to reach WCAG AA contrast.
/// </summary>
public static class StudioTheme
{
    public static readonly MudTheme Theme = new()
    {
        PaletteLight = new PaletteLight
        {
            Primary = "#3949ab",
            Secondary = "#00695c",
            Info = "#01579b",
            Success = "#1b5e20",
            Warning = "#8a4b00",
            Error = "#b71c1c",
            AppbarBackground = "#283593",
            TextSecondary = "rgba(0,0,0,0.66)",
        },
        PaletteDark = new PaletteDark
        {
            Primary = "#9fa8da",
            PrimaryContrastText = "#000000",
            Secondary = "#80cbc4",
            SecondaryContrastText = "#000000",
            Info = "#81d4fa",
            InfoContrastText = "#000000",
            Success = "#a5d6a7",
            SuccessContrastText = "#000000",
            Warning = "#ffcc80",
            WarningContrastText = "#000000",
            Error = "#ef9a9a",
            ErrorContrastText = "#000000",
        },
    };
}
