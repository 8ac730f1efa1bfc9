using System.Globalization;
using MudBlazor;
using PromptStudio.Core.Jobs;

namespace PromptStudio.Web.Components.Shared;

/// <summary>How the dashboard writes scores, times and states, so every page says them the same way.</summary>
public static class Formats
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static string Score(double? score) => score is { } s ? s.ToString("0.000", Invariant) : "—";

    /// <summary>A share as a whole percentage: 0.75 is "75 %".</summary>
    public static string Percent(double? share) => share is { } s ? s.ToString("0 %", Invariant) : "—";

    public static string Delta(double? delta) => delta is { } d ? d.ToString("+0.000;-0.000;±0.000", Invariant) : "—";

    public static string Money(decimal usd) => usd.ToString("$0.0000", Invariant);

    /// <summary>The last eight hex digits: a v7 GUID starts with its timestamp, so jobs started together share their first digits.</summary>
    public static string ShortId(Guid id) => id.ToString("N")[^8..];

    public static string Time(DateTimeOffset at) => at.ToLocalTime().ToString("HH:mm:ss.fff", Invariant);

    public static string Timestamp(DateTimeOffset at) => at.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", Invariant);

    public static string Age(DateTimeOffset at, DateTimeOffset now)
    {
        var age = now - at;
        if (age < TimeSpan.FromMinutes(1)) return $"{Math.Max(0, (int)age.TotalSeconds)} s ago";
        if (age < TimeSpan.FromHours(1)) return $"{(int)age.TotalMinutes} min ago";
        if (age < TimeSpan.FromDays(1)) return $"{(int)age.TotalHours} h ago";
        return $"{(int)age.TotalDays} d ago";
    }

    public static string StopReason(string? reason) => reason switch
    {
        null => "—",
        StopReasons.TargetReached => "target score reached",
        StopReasons.Patience => "no improvement within the patience",
        StopReasons.MaxIterations => "maximum iterations reached",
        StopReasons.MinImprovement => "improvement below the minimum",
        StopReasons.Timeout => "time limit reached",
        StopReasons.Cancelled => "cancelled by a user",
        StopReasons.Error => "stopped by an error",
        _ => reason,
    };

    public static Color StateColor(string status) => JobStates.TryParse(status, out var s) ? s switch
    {
        JobStatus.Queued => Color.Default,
        JobStatus.Running => Color.Info,
        JobStatus.Paused => Color.Warning,
        JobStatus.Completed => Color.Success,
        JobStatus.Failed => Color.Error,
        _ => Color.Dark,
    } : Color.Default;

    public static IReadOnlyList<string> States { get; } = Enum.GetValues<JobStatus>().Select(s => s.ToWire()).ToArray();
}
