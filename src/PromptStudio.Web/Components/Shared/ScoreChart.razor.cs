using System.Globalization;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace PromptStudio.Web.Components.Shared;

/// <summary>
/// Drawing a 100-iteration chart costs far more than the rest of a job page, so the chart redraws only when its
/// values changed, and at most once per <see cref="MinRedrawInterval"/>; a change that comes sooner is drawn
/// when the interval is up. The page around it keeps redrawing at its own pace.
/// </summary>
public sealed partial class ScoreChart
{
    /// <summary>Past this many iterations the markers (two SVG circles each) cost more than they tell.</summary>
    private const int MaxPointsWithMarkers = 40;

    private readonly LineChartOptions _options = new()
    {
        YAxisFormat = "0",
        YAxisTicks = 10,
        YAxisSuggestedMax = 100,
        ShowDataMarkers = true,
        ConnectNullPoints = true,
        LineStrokeWidth = 2,
        YAxisTitle = "score (%)",
    };
    private List<ChartSeries<double>> _series = [];
    private string[] _labels = [];
    private int _pointCount;
    private string? _drawn;
    private string? _wanted;
    private long _lastDraw;
    private ITimer? _trailing;

    /// <summary>Series by name, each with one value (or none) per iteration, iteration 0 first.</summary>
    [Parameter, EditorRequired] public IReadOnlyList<(string Name, double?[] Values)> Series { get; set; } = [];

    /// <summary>Series drawn as a flat reference line (baseline, target): only its ends are plotted.</summary>
    [Parameter] public IReadOnlyCollection<string> ReferenceLines { get; set; } = [];

    /// <summary>The series whose points data-points counts; the first one when not set.</summary>
    [Parameter] public string? CountedSeries { get; set; }

    [Parameter] public string Caption { get; set; } = "";

    [Parameter] public string Height { get; set; } = "320px";

    [Parameter] public string TestId { get; set; } = "score-chart";

    [Parameter] public TimeSpan MinRedrawInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    protected override void OnParametersSet() => _wanted = Signature();

    protected override bool ShouldRender()
    {
        if (_wanted == _drawn) return false;
        var wait = MinRedrawInterval - Time.GetElapsedTime(_lastDraw);
        if (_drawn is not null && wait > TimeSpan.Zero)
        {
            _trailing ??= Time.CreateTimer(_ => _ = InvokeAsync(StateHasChanged), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            _trailing.Change(wait, Timeout.InfiniteTimeSpan);
            return false;
        }
        Build();
        return true;
    }

    protected override void OnInitialized() => Build();

    private void Build()
    {
        var length = Series.Count == 0 ? 0 : Series.Max(s => s.Values.Length);
        // Past twenty iterations every label would collide; every fifth one keeps the axis readable.
        _labels = Enumerable.Range(0, length).Select(i => length <= 20 || i % 5 == 0 ? i.ToString(CultureInfo.InvariantCulture) : "").ToArray();
        _options.ShowDataMarkers = length <= MaxPointsWithMarkers;
        _series = Series.Select(s => new ChartSeries<double> { Name = s.Name, Data = Scale(s, length) }).ToList();
        var counted = Series.FirstOrDefault(s => CountedSeries is null || s.Name == CountedSeries);
        _pointCount = counted.Values?.Count(v => v is not null) ?? 0;
        _drawn = _wanted ?? Signature();
        _lastDraw = Time.GetTimestamp();
    }

    private double?[] Scale((string Name, double?[] Values) series, int length)
    {
        var values = new double?[length];
        var reference = ReferenceLines.Contains(series.Name);
        for (var i = 0; i < length && i < series.Values.Length; i++)
        {
            if (!reference || i == 0 || i == length - 1) values[i] = series.Values[i] * 100;
        }
        return values;
    }

    private string Signature() =>
        string.Join('|', Series.Select(s => s.Name + ":" + string.Join(',', s.Values.Select(v => v?.ToString("R", CultureInfo.InvariantCulture)))));

    public void Dispose() => _trailing?.Dispose();
}
