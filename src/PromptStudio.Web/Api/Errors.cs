using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.HttpResults;
using PromptStudio.Core.Jobs;

namespace PromptStudio.Web.Api;

/// <summary>A resource that does not exist in the caller's workspace.</summary>
public sealed class NotFoundException(string what, object id) : Exception($"{what} {id} was not found.");

/// <summary>The caller is known but may not do this.</summary>
public sealed class ForbiddenException(string message) : Exception(message);

/// <summary>Starting the job would take the workspace past its iteration-run limit.</summary>
public sealed class QuotaExceededException(int used, int limit, int requested)
    : Exception($"Trial limit exceeded: {used} of {limit} iteration-runs used; this job needs up to {requested}.")
{
    public int Used { get; } = used;
    public int Limit { get; } = limit;
    public int Requested { get; } = requested;
}

/// <summary>
/// Maps domain exceptions to problem details: validation → 400 naming the fields, unknown id → 404,
/// refused transition → 409 with the current state and the allowed actions. Anything else is a 500 whose
/// details stay in the log.
/// </summary>
public sealed class DomainExceptionHandler(IProblemDetailsService problems) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        var result = ToResult(exception);
        if (result is null) return false;
        httpContext.Response.StatusCode = result.StatusCode;
        return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = httpContext, ProblemDetails = result.ProblemDetails, Exception = exception });
    }

    public static ProblemHttpResult? ToResult(Exception exception) => exception switch
    {
        DomainValidationException v => TypedResults.Problem(new HttpValidationProblemDetails(v.Errors.ToDictionary())
        {
            Status = StatusCodes.Status400BadRequest,
            Title = "One or more fields are invalid.",
            Detail = v.Message,
        }),
        NotFoundException n => TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: n.Message),
        InvalidJobTransitionException t => TypedResults.Problem(
            statusCode: StatusCodes.Status409Conflict,
            title: "Action not allowed in the job's current state",
            detail: t.Message,
            extensions: new Dictionary<string, object?>
            {
                ["currentState"] = t.Current.ToWire(),
                ["action"] = t.Action.ToWire(),
                ["allowedActions"] = t.AllowedActions.Select(a => a.ToWire()).ToArray(),
            }),
        ForbiddenException f => TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Forbidden", detail: f.Message),
        QuotaExceededException q => TypedResults.Problem(
            statusCode: StatusCodes.Status403Forbidden,
            title: "Quota exceeded",
            detail: q.Message,
            extensions: new Dictionary<string, object?> { ["used"] = q.Used, ["limit"] = q.Limit, ["requested"] = q.Requested }),
        BadHttpRequestException b => TypedResults.Problem(statusCode: b.StatusCode, title: "Bad request", detail: b.Message),
        _ => null,
    };
}
