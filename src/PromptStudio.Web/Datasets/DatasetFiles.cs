using System.Globalization;
using System.Text;
using System.Text.Json;
using CsvHelper;
using CsvHelper.Configuration;
using PromptStudio.Client;

namespace PromptStudio.Web.Datasets;

public enum DatasetFileFormat
{
    Json,
    Jsonl,
    Csv,
}

/// <summary>One item read from a file. <see cref="Row"/> is where it was: see <see cref="DatasetFiles"/>.</summary>
public sealed record DatasetFileRow(int Row, DatasetItemInput Item);

/// <summary>A problem with one row, or with the whole file when <see cref="Row"/> is 0.</summary>
public sealed record DatasetFileError(int Row, string Message);

public sealed record DatasetFileParseResult(IReadOnlyList<DatasetFileRow> Rows, IReadOnlyList<DatasetFileError> Errors)
{
    /// <summary>Rows read, good or bad.</summary>
    public int RowCount => Rows.Count + Errors.Where(e => e.Row > 0).Select(e => e.Row).Distinct().Count();

    public bool HasFileError => Errors.Any(e => e.Row == 0);
}

/// <summary>
/// Dataset items to and from files, checked row by row so that nothing is saved before every problem is
/// shown. It depends only on the wire contracts, CsvHelper and System.Text.Json, so the CLI can use it as is.
/// <list type="bullet">
/// <item><b>JSON</b>: an array of items (or an object with an <c>items</c> array). Row = position in the array, from 1.</item>
/// <item><b>JSONL</b>: one item per line; blank lines are skipped. Row = line number.</item>
/// <item><b>CSV</b>: a header, then one item per record. Row = record number, from 1 (the header is not counted).</item>
/// </list>
/// An item is <c>{ "input": {…}, "expectedOutput": "…", "name": "…", "labels": […], "metadata": {…} }</c>; without an
/// <c>input</c> object, every field other than those four is an input variable. In CSV the columns <c>name</c>,
/// <c>expectedOutput</c>, <c>labels</c> (separated by <c>;</c>), <c>input</c> (a JSON object) and <c>metadata.&lt;key&gt;</c>
/// are reserved, <c>input.&lt;variable&gt;</c> names a variable explicitly, and any other column is a variable. An empty CSV
/// cell means "no value".
/// </summary>
public static class DatasetFiles
{
    public const char LabelSeparator = ';';
    private const string InputPrefix = "input.";
    private const string MetadataPrefix = "metadata.";
    private static readonly string[] Reserved = ["input", "expectedOutput", "name", "labels", "metadata"];
    private static readonly JsonSerializerOptions Compact = new(JsonSerializerDefaults.Web);
    private static readonly JsonSerializerOptions Indented = new(JsonSerializerDefaults.Web) { WriteIndented = true };
    private static readonly JsonDocumentOptions Lenient = new() { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip };

    public static DatasetFileFormat? FormatOf(string fileName) => Path.GetExtension(fileName).ToLowerInvariant() switch
    {
        ".json" => DatasetFileFormat.Json,
        ".jsonl" or ".ndjson" => DatasetFileFormat.Jsonl,
        ".csv" => DatasetFileFormat.Csv,
        _ => null,
    };

    public static string Extension(DatasetFileFormat format) => format switch
    {
        DatasetFileFormat.Json => ".json",
        DatasetFileFormat.Jsonl => ".jsonl",
        _ => ".csv",
    };

    public static string ContentType(DatasetFileFormat format) => format switch
    {
        DatasetFileFormat.Json => "application/json",
        DatasetFileFormat.Jsonl => "application/jsonl",
        _ => "text/csv",
    };

    public static DatasetFileParseResult Parse(string text, DatasetFileFormat format) => format switch
    {
        DatasetFileFormat.Json => ParseJson(text),
        DatasetFileFormat.Jsonl => ParseJsonl(text),
        _ => ParseCsv(text),
    };

    private static DatasetFileParseResult ParseJson(string text)
    {
        var rows = new List<DatasetFileRow>();
        var errors = new List<DatasetFileError>();
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(text, Lenient);
        }
        catch (JsonException e)
        {
            return FileError($"The file is not valid JSON: {e.Message}");
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("items", out var items)) root = items;
            if (root.ValueKind != JsonValueKind.Array)
                return FileError("A JSON dataset file must hold an array of items (or an object with an \"items\" array).");
            var row = 0;
            foreach (var element in root.EnumerateArray()) Add(++row, ReadItem(element, row, errors), rows);
        }
        return new DatasetFileParseResult(rows, errors);
    }

    private static DatasetFileParseResult ParseJsonl(string text)
    {
        var rows = new List<DatasetFileRow>();
        var errors = new List<DatasetFileError>();
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.Length == 0) continue;
            var row = i + 1;
            try
            {
                using var document = JsonDocument.Parse(line, Lenient);
                Add(row, ReadItem(document.RootElement, row, errors), rows);
            }
            catch (JsonException e)
            {
                errors.Add(new(row, $"Line {row} is not valid JSON: {e.Message}"));
            }
        }
        return new DatasetFileParseResult(rows, errors);
    }

    private static void Add(int row, DatasetItemInput? item, List<DatasetFileRow> rows)
    {
        if (item is not null) rows.Add(new DatasetFileRow(row, item));
    }

    private static DatasetItemInput? ReadItem(JsonElement element, int row, List<DatasetFileError> errors)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            errors.Add(new(row, $"Row {row} must be a JSON object, not {Describe(element.ValueKind)}."));
            return null;
        }

        var problems = errors.Count;
        void Error(string message) => errors.Add(new(row, $"Row {row}: {message}"));
        var hasInputObject = element.TryGetProperty("input", out _);
        var input = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        string? expected = null, name = null;
        List<string>? labels = null;
        Dictionary<string, JsonElement>? metadata = null;

        foreach (var property in element.EnumerateObject())
        {
            var value = property.Value;
            switch (property.Name)
            {
                case "input":
                    if (value.ValueKind != JsonValueKind.Object) Error("\"input\" must be an object of variable values.");
                    else ReadScalars(value, "input", input, Error);
                    break;
                case "expectedOutput":
                    if (value.ValueKind is JsonValueKind.String) expected = value.GetString();
                    else if (value.ValueKind != JsonValueKind.Null) Error("\"expectedOutput\" must be a string.");
                    break;
                case "name":
                    if (value.ValueKind is JsonValueKind.String) name = value.GetString();
                    else if (value.ValueKind != JsonValueKind.Null) Error("\"name\" must be a string.");
                    break;
                case "labels":
                    if (value.ValueKind == JsonValueKind.Array && value.EnumerateArray().All(l => l.ValueKind == JsonValueKind.String))
                        labels = value.EnumerateArray().Select(l => l.GetString()!).ToList();
                    else if (value.ValueKind != JsonValueKind.Null) Error("\"labels\" must be an array of strings.");
                    break;
                case "metadata":
                    if (value.ValueKind != JsonValueKind.Object) Error("\"metadata\" must be an object.");
                    else ReadScalars(value, "metadata", metadata = new(StringComparer.Ordinal), Error);
                    break;
                default:
                    if (hasInputObject) Error($"unknown field \"{property.Name}\": with an \"input\" object, variables go inside it.");
                    else if (IsScalar(value)) input[property.Name] = value.Clone();
                    else Error($"the value of \"{property.Name}\" must be a string, number or boolean.");
                    break;
            }
        }
        if (input.Count == 0 && errors.Count == problems)
            Error(hasInputObject ? "\"input\" has no variable values." : "no input values (give an \"input\" object or variable fields).");
        return errors.Count > problems ? null : new DatasetItemInput(input, expected, name, labels ?? [], metadata);
    }

    private static void ReadScalars(JsonElement obj, string what, Dictionary<string, JsonElement> into, Action<string> error)
    {
        foreach (var p in obj.EnumerateObject())
        {
            if (IsScalar(p.Value)) into[p.Name] = p.Value.Clone();
            else error($"{what}.{p.Name} must be a string, number or boolean.");
        }
    }

    private static bool IsScalar(JsonElement value) =>
        value.ValueKind is JsonValueKind.String or JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False;

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.Null => "null",
        _ => "a boolean",
    };

    private static DatasetFileParseResult ParseCsv(string text)
    {
        var rows = new List<DatasetFileRow>();
        var errors = new List<DatasetFileError>();
        var row = 0;
        var badRows = new HashSet<int>();
        var config = new CsvConfiguration(CultureInfo.InvariantCulture)
        {
            DetectDelimiter = true,
            BadDataFound = args =>
            {
                if (badRows.Add(row + 1)) errors.Add(new(row + 1, $"Row {row + 1}: a quote is out of place ({Shorten(args.RawRecord)})."));
            },
            MissingFieldFound = null,
        };
        using var csv = new CsvReader(new StringReader(text), config);
        if (!csv.Read() || !csv.ReadHeader() || csv.HeaderRecord is not { Length: > 0 } header || header.All(string.IsNullOrWhiteSpace))
            return FileError("The CSV file has no header row.");
        var columns = header.Select(h => h.Trim()).ToArray();
        var duplicate = columns.GroupBy(c => c, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) return FileError($"The CSV header names the column \"{duplicate.Key}\" more than once.");

        while (csv.Read())
        {
            row++;
            if (badRows.Contains(row)) continue;
            var count = csv.Parser.Count;
            if (count != columns.Length)
            {
                errors.Add(new(row, $"Row {row} has {count} fields, but the header has {columns.Length}."));
                continue;
            }
            var item = ReadCsvRow(columns, i => csv.GetField(i) ?? "", row, errors);
            if (item is not null) rows.Add(new DatasetFileRow(row, item));
        }
        return new DatasetFileParseResult(rows, errors);
    }

    private static DatasetItemInput? ReadCsvRow(string[] columns, Func<int, string> field, int row, List<DatasetFileError> errors)
    {
        var problems = errors.Count;
        var input = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        var metadata = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        string? expected = null, name = null;
        List<string> labels = [];
        for (var i = 0; i < columns.Length; i++)
        {
            var column = columns[i];
            var value = field(i);
            if (value.Length == 0) continue;
            if (Is(column, "name")) name = value;
            else if (Is(column, "expectedOutput") || Is(column, "expected_output")) expected = value;
            else if (Is(column, "labels")) labels = value.Split(LabelSeparator, StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToList();
            else if (Is(column, "metadata")) errors.Add(new(row, $"Row {row}: use metadata.<key> columns for metadata."));
            else if (column.StartsWith(MetadataPrefix, StringComparison.OrdinalIgnoreCase)) metadata[column[MetadataPrefix.Length..]] = JsonSerializer.SerializeToElement(value);
            else if (Is(column, "input")) ReadInputObject(value, row, input, errors);
            else if (column.StartsWith(InputPrefix, StringComparison.OrdinalIgnoreCase)) input[column[InputPrefix.Length..]] = JsonSerializer.SerializeToElement(value);
            else input[column] = JsonSerializer.SerializeToElement(value);
        }
        if (input.Count == 0 && errors.Count == problems) errors.Add(new(row, $"Row {row} has no input values."));
        return errors.Count > problems ? null : new DatasetItemInput(input, expected, name, labels, metadata.Count == 0 ? null : metadata);
    }

    private static void ReadInputObject(string json, int row, Dictionary<string, JsonElement> input, List<DatasetFileError> errors)
    {
        try
        {
            using var document = JsonDocument.Parse(json, Lenient);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                errors.Add(new(row, $"Row {row}: the input column must hold a JSON object."));
                return;
            }
            ReadScalars(document.RootElement, "input", input, message => errors.Add(new(row, $"Row {row}: {message}")));
        }
        catch (JsonException e)
        {
            errors.Add(new(row, $"Row {row}: the input column is not valid JSON: {e.Message}"));
        }
    }

    private static bool Is(string column, string name) => string.Equals(column, name, StringComparison.OrdinalIgnoreCase);

    private static string Shorten(string? text) => text is null ? "" : text.Length <= 60 ? text.Trim() : text[..57].Trim() + "…";

    private static DatasetFileParseResult FileError(string message) => new([], [new DatasetFileError(0, message)]);

    /// <summary>The items in a file of the given format; reading the file back gives the same items.</summary>
    public static string Write(IEnumerable<DatasetItemDto> items, DatasetFileFormat format)
    {
        var list = items.ToList();
        return format switch
        {
            DatasetFileFormat.Json => JsonSerializer.Serialize(list.Select(ToWire), Indented) + "\n",
            DatasetFileFormat.Jsonl => string.Concat(list.Select(i => JsonSerializer.Serialize(ToWire(i), Compact) + "\n")),
            _ => WriteCsv(list),
        };
    }

    private static object ToWire(DatasetItemDto item) => new
    {
        name = item.Name,
        input = item.Input,
        expectedOutput = item.ExpectedOutput,
        labels = item.Labels,
        metadata = item.Metadata,
    };

    private static string WriteCsv(IReadOnlyList<DatasetItemDto> items)
    {
        var variables = items.SelectMany(i => i.Input.Keys).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var metadataKeys = items.SelectMany(i => i.Metadata.Keys).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var text = new StringWriter(CultureInfo.InvariantCulture);
        using (var csv = new CsvWriter(text, new CsvConfiguration(CultureInfo.InvariantCulture) { NewLine = "\n" }))
        {
            csv.WriteField("name");
            // A variable whose name could be read as a reserved column is written with the input. prefix.
            foreach (var v in variables) csv.WriteField(IsReservedColumn(v) ? InputPrefix + v : v);
            csv.WriteField("expectedOutput");
            csv.WriteField("labels");
            foreach (var m in metadataKeys) csv.WriteField(MetadataPrefix + m);
            csv.NextRecord();
            foreach (var item in items)
            {
                csv.WriteField(item.Name ?? "");
                foreach (var v in variables) csv.WriteField(item.Input.GetValueOrDefault(v) ?? "");
                csv.WriteField(item.ExpectedOutput ?? "");
                csv.WriteField(string.Join(LabelSeparator, item.Labels));
                foreach (var m in metadataKeys) csv.WriteField(item.Metadata.GetValueOrDefault(m) ?? "");
                csv.NextRecord();
            }
        }
        return text.ToString();
    }

    private static bool IsReservedColumn(string variable) =>
        Reserved.Any(r => Is(variable, r)) || Is(variable, "expected_output")
        || variable.StartsWith(InputPrefix, StringComparison.OrdinalIgnoreCase) || variable.StartsWith(MetadataPrefix, StringComparison.OrdinalIgnoreCase);

    /// <summary>UTF-8 without a byte order mark, the way the files are written for download.</summary>
    public static byte[] Encode(string text) => new UTF8Encoding(false).GetBytes(text);
}
