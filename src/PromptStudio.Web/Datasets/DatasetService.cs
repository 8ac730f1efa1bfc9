using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using PromptStudio.Client;
using PromptStudio.Core.Jobs;
using PromptStudio.Web.Api;
using PromptStudio.Web.Data;
using PromptStudio.Web.Workspaces;

namespace PromptStudio.Web.Datasets;

/// <summary>
/// Datasets and their items, shared by the API and the dashboard. Writes take the caller's resolved
/// <see cref="WorkspaceContext"/> and check <see cref="Permission.Write"/> here, so every caller gets the same rule.
/// </summary>
public sealed class DatasetService(IDbContextFactory<StudioDbContext> dbFactory, TimeProvider time)
{
    public const int MaxItemsPerRequest = 10_000;

    public async Task<DatasetDto> CreateAsync(WorkspaceContext ws, CreateDatasetRequest request, CancellationToken ct)
    {
        WorkspaceService.Require(ws, Permission.Write);
        var errors = new ValidationErrors();
        if (string.IsNullOrWhiteSpace(request.Name)) errors.Add("name", "name is required.");
        else if (request.Name.Length > 200) errors.Add("name", "name must be at most 200 characters.");
        var items = ToItems(request.Items ?? [], errors);
        if (!errors.IsEmpty) throw new DomainValidationException(errors);

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var dataset = new Dataset
        {
            WorkspaceId = ws.WorkspaceId,
            Name = request.Name!.Trim(),
            Description = request.Description,
            PromptGroupId = request.PromptGroupId,
            CreatedAt = time.GetUtcNow().UtcDateTime,
            CreatedBy = ws.UserName,
            Items = items,
        };
        db.Datasets.Add(dataset);
        await db.SaveChangesAsync(ct);
        return ToDto(dataset, items.Count, Variables(items));
    }

    public async Task<IReadOnlyList<DatasetItemDto>> AddItemsAsync(WorkspaceContext ws, int datasetId, AddDatasetItemsRequest request, CancellationToken ct)
    {
        WorkspaceService.Require(ws, Permission.Write);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (!await db.Datasets.AnyAsync(d => d.Id == datasetId && d.WorkspaceId == ws.WorkspaceId, ct)) throw new NotFoundException("Dataset", datasetId);
        var errors = new ValidationErrors();
        if (request.Items is null || request.Items.Count == 0) errors.Add("items", "items must hold at least one item.");
        var items = ToItems(request.Items ?? [], errors);
        if (!errors.IsEmpty) throw new DomainValidationException(errors);
        foreach (var item in items) item.DatasetId = datasetId;
        db.DatasetItems.AddRange(items);
        await db.SaveChangesAsync(ct);
        return items.Select(ToDto).ToList();
    }

    /// <summary>Replaces an item's fields with <paramref name="input"/>, checked by the same rules as new items.</summary>
    public async Task<DatasetItemDto> UpdateItemAsync(WorkspaceContext ws, int datasetId, int itemId, DatasetItemInput input, CancellationToken ct)
    {
        WorkspaceService.Require(ws, Permission.Write);
        var errors = new ValidationErrors();
        var replacement = ToItems([input], errors);
        if (!errors.IsEmpty) throw new DomainValidationException(errors);

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var item = await ItemsOf(db, ws.WorkspaceId, datasetId).FirstOrDefaultAsync(i => i.Id == itemId, ct)
            ?? throw new NotFoundException("Item", itemId);
        var values = replacement[0];
        item.Name = values.Name;
        item.Input = values.Input;
        item.ExpectedOutput = values.ExpectedOutput;
        item.Labels = values.Labels;
        item.Metadata = values.Metadata;
        await db.SaveChangesAsync(ct);
        return ToDto(item);
    }

    public async Task DeleteItemAsync(WorkspaceContext ws, int datasetId, int itemId, CancellationToken ct)
    {
        WorkspaceService.Require(ws, Permission.Write);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var deleted = await ItemsOf(db, ws.WorkspaceId, datasetId).Where(i => i.Id == itemId).ExecuteDeleteAsync(ct);
        if (deleted == 0) throw new NotFoundException("Item", itemId);
    }

    private static IQueryable<DatasetItem> ItemsOf(StudioDbContext db, Guid workspaceId, int datasetId) =>
        db.DatasetItems.Where(i => i.DatasetId == datasetId && db.Datasets.Any(d => d.Id == datasetId && d.WorkspaceId == workspaceId));

    public async Task<IReadOnlyList<DatasetDto>> ListAsync(Guid workspaceId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = await db.Datasets.AsNoTracking().Where(d => d.WorkspaceId == workspaceId).OrderBy(d => d.Name)
            .Select(d => new { Dataset = d, Count = d.Items.Count }).ToListAsync(ct);
        var variables = await VariablesByDatasetAsync(db, rows.Select(r => r.Dataset.Id).ToList(), ct);
        return rows.Select(r => ToDto(r.Dataset, r.Count, variables.GetValueOrDefault(r.Dataset.Id) ?? [])).ToList();
    }

    public async Task<DatasetDto> GetAsync(Guid workspaceId, int datasetId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var dataset = await db.Datasets.AsNoTracking().FirstOrDefaultAsync(d => d.Id == datasetId && d.WorkspaceId == workspaceId, ct)
            ?? throw new NotFoundException("Dataset", datasetId);
        var count = await db.DatasetItems.CountAsync(i => i.DatasetId == datasetId, ct);
        var variables = await VariablesByDatasetAsync(db, [datasetId], ct);
        return ToDto(dataset, count, variables.GetValueOrDefault(datasetId) ?? []);
    }

    public async Task<Page<DatasetItemDto>> ItemsAsync(Guid workspaceId, int datasetId, int? offset, int? limit, CancellationToken ct)
    {
        var skip = offset ?? 0;
        var take = limit ?? 100;
        var errors = new ValidationErrors();
        if (skip < 0) errors.Add("offset", $"offset must be 0 or more (got {skip}).");
        if (take is < 1 or > 1000) errors.Add("limit", $"limit must be between 1 and 1000 (got {take}).");
        if (!errors.IsEmpty) throw new DomainValidationException(errors);

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (!await db.Datasets.AnyAsync(d => d.Id == datasetId && d.WorkspaceId == workspaceId, ct)) throw new NotFoundException("Dataset", datasetId);
        var query = db.DatasetItems.AsNoTracking().Where(i => i.DatasetId == datasetId);
        var total = await query.CountAsync(ct);
        var items = await query.OrderBy(i => i.Id).Skip(skip).Take(take).ToListAsync(ct);
        return new Page<DatasetItemDto>(items.Select(ToDto).ToList(), total, skip, take);
    }

    /// <summary>Turns client items into rows, naming the item and field of every problem.</summary>
    public static List<DatasetItem> ToItems(IReadOnlyList<DatasetItemInput> inputs, ValidationErrors errors)
    {
        if (inputs.Count > MaxItemsPerRequest) errors.Add("items", $"at most {MaxItemsPerRequest} items per request (got {inputs.Count}).");
        var items = new List<DatasetItem>(inputs.Count);
        for (var i = 0; i < inputs.Count; i++)
        {
            var input = inputs[i];
            var field = $"items[{i}]";
            if (input is null)
            {
                errors.Add(field, "an item must be an object.");
                continue;
            }
            if (input.Input is null || input.Input.Count == 0)
            {
                errors.Add($"{field}.input", "input must be an object with at least one variable value.");
                continue;
            }
            var values = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var (key, value) in input.Input)
            {
                if (value.ValueKind is JsonValueKind.Object or JsonValueKind.Array or JsonValueKind.Null or JsonValueKind.Undefined)
                    errors.Add($"{field}.input.{key}", $"the value of '{key}' must be a string, number or boolean.");
                else
                    values[key] = value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText();
            }
            items.Add(new DatasetItem
            {
                Name = string.IsNullOrWhiteSpace(input.Name) ? null : input.Name.Trim(),
                Input = values,
                ExpectedOutput = input.ExpectedOutput,
                Labels = input.Labels ?? [],
                Metadata = Jobs.JobService.ToStrings(input.Metadata).ToDictionary(),
            });
        }
        return items;
    }

    public static DatasetItemDto ToDto(DatasetItem i) => new(i.Id, i.Name, i.Input, i.ExpectedOutput, i.Labels, i.Metadata);

    private static DatasetDto ToDto(Dataset d, int count, IReadOnlyList<string> variables) =>
        new(d.Id, d.Name, d.Description, d.PromptGroupId, count, variables, Jobs.JobMapping.AsOffset(d.CreatedAt), d.CreatedBy);

    private static List<string> Variables(IEnumerable<DatasetItem> items) =>
        items.SelectMany(i => i.Input.Keys).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();

    private static async Task<Dictionary<int, List<string>>> VariablesByDatasetAsync(StudioDbContext db, List<int> ids, CancellationToken ct)
    {
        // Input is a JSON column: read the items' inputs and take the union of their keys per dataset.
        var inputs = await db.DatasetItems.AsNoTracking().Where(i => ids.Contains(i.DatasetId)).Select(i => new { i.DatasetId, i.Input }).ToListAsync(ct);
        return inputs.GroupBy(i => i.DatasetId).ToDictionary(g => g.Key,
            g => g.SelectMany(i => i.Input.Keys).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList());
    }
}
