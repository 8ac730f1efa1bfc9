using Microsoft.AspNetCore.Http.HttpResults;
using PromptStudio.Client;
using PromptStudio.Web.Datasets;
using PromptStudio.Web.Workspaces;

namespace PromptStudio.Web.Api;

public static class DatasetsApi
{
    public static RouteGroupBuilder MapDatasetsApi(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/datasets").WithTags("Datasets");

        group.MapGet("/", async (DatasetService datasets, WorkspaceContext ws, CancellationToken ct) =>
            TypedResults.Ok(await datasets.ListAsync(ws.WorkspaceId, ct)));

        group.MapPost("/", async Task<Created<DatasetDto>> (CreateDatasetRequest request, DatasetService datasets, WorkspaceContext ws, CancellationToken ct) =>
        {
            var dataset = await datasets.CreateAsync(ws, request, ct);
            return TypedResults.Created($"/api/datasets/{dataset.Id}", dataset);
        }).WithSummary("Create a dataset with its items");

        group.MapGet("/{id:int}", async (int id, DatasetService datasets, WorkspaceContext ws, CancellationToken ct) =>
            TypedResults.Ok(await datasets.GetAsync(ws.WorkspaceId, id, ct)));

        group.MapGet("/{id:int}/items", async (int id, int? offset, int? limit, DatasetService datasets, WorkspaceContext ws, CancellationToken ct) =>
            TypedResults.Ok(await datasets.ItemsAsync(ws.WorkspaceId, id, offset, limit, ct)))
            .WithSummary("A page of items (offset, limit ≤ 1000)");

        group.MapPost("/{id:int}/items", async Task<Created<IReadOnlyList<DatasetItemDto>>> (int id, AddDatasetItemsRequest request, DatasetService datasets, WorkspaceContext ws, CancellationToken ct) =>
            TypedResults.Created($"/api/datasets/{id}/items", await datasets.AddItemsAsync(ws, id, request, ct)))
            .WithSummary("Add items");

        return api;
    }
}
