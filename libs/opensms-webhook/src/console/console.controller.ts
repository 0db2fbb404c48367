import {
  BadRequestException,
  type CanActivate,
  Controller,
  Get,
  Header,
  HttpCode,
  HttpStatus,
  mixin,
  Param,
  ParseUUIDPipe,
  Post,
  Query,
  Redirect,
  Req,
  Res,
  SetMetadata,
  type Type,
  UseGuards,
} from '@nestjs/common';
import { InvalidReprocessRequestError } from '../errors/invalid-reprocess-request.error';
import { type AuthorizedConsoleRequest, ConsoleAccessGuard, describeConsoleUser } from './console-access.guard';
import { ConsoleCsrfGuard, CSRF_TOKEN, type CsrfCheckedRequest } from './console-csrf.guard';
import { ConsoleInboxService } from './console-inbox.service';
import { readSearch, searchQueryString } from './console-search.params';
import { CONSOLE_RESPONSE_HEADERS, CONSOLE_USER } from './console.constants';
import { consoleRoot, type ConsoleResponse, formField, formFields } from './console.http';
import { CONSOLE_STYLESHEET } from './console.styles';
import {
  type ConsolePageContext,
  eventPage,
  notFoundPage,
  overviewPage,
  replayDeadPage,
  reprocessPlanPage,
  reprocessRefusedPage,
  reprocessRunPage,
  searchPage,
  timelinePage,
} from './console.views';

/** A console request after both guards. */
type ConsoleRequest = AuthorizedConsoleRequest & CsrfCheckedRequest;

/** What a POST answers: see-other to the page that shows its effect. */
interface SeeOther {
  url: string;
  statusCode: number;
}

/** Confirmations shown after an action (`?done=`); fixed texts, nothing taken from the request. */
const NOTICES: Record<string, (count: number) => string> = {
  replayed: () => 'Replayed: the event is queued again with a fresh set of attempts.',
  'not-replayable': () => 'Nothing replayed: the event is neither dead nor failed.',
  'replayed-dead': (count) => `Replayed ${count} dead event(s).`,
  paused: () => 'Processing paused: events are still received and stored.',
  resumed: () => 'Processing resumed.',
  reprocessing: () => 'Reprocessing started.',
};

/** The metadata key of `@nestjs/swagger`'s `@ApiExcludeController()`. */
const SWAGGER_EXCLUDE_CONTROLLER = 'swagger/apiExcludeController';

/**
 * Builds the console's controller for its route and the host's guards. Pages are GETs; actions are
 * form POSTs (token-checked) answered with 303 to the page that shows their effect.
 */
export function createConsoleController(path: string, hostGuards: readonly (Type<CanActivate> | CanActivate)[]): Type<unknown> {
  @Controller(path)
  @UseGuards(...hostGuards, ConsoleAccessGuard, ConsoleCsrfGuard)
  // NOTE: `@ApiExcludeController()` without importing @nestjs/swagger (an optional peer): the console is
  // pages and form posts for people, not an API, and its actions must not be listed in a public document.
  @SetMetadata(SWAGGER_EXCLUDE_CONTROLLER, [true])
  class OpenSmsWebhookConsoleController {
    constructor(private readonly inbox: ConsoleInboxService) {}

    @Get()
    async overview(
      @Req() request: ConsoleRequest,
      @Res({ passthrough: true }) response: ConsoleResponse,
      @Query() query: Record<string, unknown>,
    ): Promise<string> {
      const context = pageContext(request, response, 0, query);
      return overviewPage(context, await this.inbox.overview(), new Date());
    }

    @Get('console.css')
    @Header('Content-Type', 'text/css; charset=utf-8')
    @Header('Cache-Control', 'private, max-age=300')
    stylesheet(): string {
      return CONSOLE_STYLESHEET;
    }

    @Get('events')
    async search(
      @Req() request: ConsoleRequest,
      @Res({ passthrough: true }) response: ConsoleResponse,
      @Query() query: Record<string, unknown>,
    ): Promise<string> {
      const context = pageContext(request, response, 1, query);
      const search = readSearch(query);
      if (search.problems.length > 0) response.status(HttpStatus.BAD_REQUEST);
      return searchPage(context, search, await this.inbox.search(search.filter, search.cursor), this.inbox.handlerNames());
    }

    @Get('events/:id')
    async event(
      @Req() request: ConsoleRequest,
      @Res({ passthrough: true }) response: ConsoleResponse,
      @Param('id', new ParseUUIDPipe()) id: string,
      @Query() query: Record<string, unknown>,
    ): Promise<string> {
      const context = pageContext(request, response, 2, query);
      const detail = await this.inbox.detail(id);
      if (detail) return eventPage(context, detail);
      response.status(HttpStatus.NOT_FOUND);
      return notFoundPage(context, `No event ${id} in the inbox.`);
    }

    @Get('messages/:messageId')
    async message(
      @Req() request: ConsoleRequest,
      @Res({ passthrough: true }) response: ConsoleResponse,
      @Param('messageId') messageId: string,
      @Query() query: Record<string, unknown>,
    ): Promise<string> {
      const context = pageContext(request, response, 2, query);
      const timeline = await this.inbox.timeline(messageId);
      if (timeline.length > 0) return timelinePage(context, messageId, timeline);
      response.status(HttpStatus.NOT_FOUND);
      return notFoundPage(context, `No event of message ${messageId} in the inbox.`);
    }

    @Get('replay-dead')
    async confirmReplayDead(
      @Req() request: ConsoleRequest,
      @Res({ passthrough: true }) response: ConsoleResponse,
      @Query() query: Record<string, unknown>,
    ): Promise<string> {
      const context = pageContext(request, response, 1, query);
      const { form, filter } = readSearch({ ...query, state: '' });
      return replayDeadPage(context, form, await this.inbox.countDead(filter), this.inbox.replayLimit);
    }

    @Post('events/:id/replay')
    @Redirect()
    async replay(@Req() request: ConsoleRequest, @Param('id', new ParseUUIDPipe()) id: string): Promise<SeeOther> {
      const replayed = await this.inbox.replay(id, request[CONSOLE_USER]);
      return seeOther(`${consoleRoot(request, 3)}/events/${id}?done=${replayed ? 'replayed' : 'not-replayable'}`);
    }

    @Post('replay-dead')
    @Redirect()
    async replayDead(@Req() request: ConsoleRequest): Promise<SeeOther> {
      const { form, filter } = readSearch({ ...formBody(request), state: '' });
      const expected = Number(formField(request, 'expected'));
      const count = Number.isInteger(expected) && expected > 0 ? await this.inbox.replayDead(filter, expected, request[CONSOLE_USER]) : 0;
      const query = searchQueryString({ ...form, state: 'dead' }, { done: 'replayed-dead', count: String(count) });
      return seeOther(`${consoleRoot(request, 1)}/events${query}`);
    }

    /** The dry-run plan of reprocessing the posted search for the ticked handlers; 400 with why when it cannot be reprocessed. */
    @Post('reprocess')
    @HttpCode(HttpStatus.OK)
    async planReprocess(@Req() request: ConsoleRequest, @Res({ passthrough: true }) response: ConsoleResponse): Promise<string> {
      const context = pageContext(request, response, 1, {});
      const { form, filter, problems } = readSearch(formBody(request));
      const handlers = formFields(request, 'handler');
      try {
        if (problems.length > 0) throw new InvalidReprocessRequestError(problems);
        return reprocessPlanPage(context, form, handlers, await this.inbox.planReprocess(filter, handlers));
      } catch (error) {
        if (!(error instanceof InvalidReprocessRequestError)) throw error;
        response.status(HttpStatus.BAD_REQUEST);
        return reprocessRefusedPage(context, form, error.problems);
      }
    }

    @Post('reprocess/start')
    @Redirect()
    async startReprocess(@Req() request: ConsoleRequest): Promise<SeeOther> {
      const { form, filter, problems } = readSearch(formBody(request));
      if (problems.length > 0) throw new BadRequestException(problems.join('; '));
      try {
        const run = await this.inbox.startReprocess(form, filter, formFields(request, 'handler'), request[CONSOLE_USER]);
        return seeOther(`${consoleRoot(request, 2)}/reprocess/${run.id}?done=reprocessing`);
      } catch (error) {
        if (error instanceof InvalidReprocessRequestError) throw new BadRequestException(error.message);
        throw error;
      }
    }

    @Get('reprocess/:id')
    async reprocessRun(
      @Req() request: ConsoleRequest,
      @Res({ passthrough: true }) response: ConsoleResponse,
      @Param('id', new ParseUUIDPipe()) id: string,
      @Query() query: Record<string, unknown>,
    ): Promise<string> {
      const context = pageContext(request, response, 2, query);
      const run = this.inbox.reprocessRun(id);
      if (run) return reprocessRunPage(context, run);
      response.status(HttpStatus.NOT_FOUND);
      return notFoundPage(
        context,
        `No reprocessing ${id} in this process: a run is shown by the process that started it, until it restarts.`,
      );
    }

    @Post('pause')
    @Redirect()
    async pause(@Req() request: ConsoleRequest): Promise<SeeOther> {
      await this.inbox.setPaused(true, request[CONSOLE_USER]);
      return seeOther(`${consoleRoot(request, 1)}?done=paused`);
    }

    @Post('resume')
    @Redirect()
    async resume(@Req() request: ConsoleRequest): Promise<SeeOther> {
      await this.inbox.setPaused(false, request[CONSOLE_USER]);
      return seeOther(`${consoleRoot(request, 1)}?done=resumed`);
    }
  }
  return mixin(OpenSmsWebhookConsoleController);
}

/** Sets the page headers and gathers what every page shows. */
function pageContext(
  request: ConsoleRequest,
  response: ConsoleResponse,
  depth: number,
  query: Record<string, unknown>,
): ConsolePageContext {
  response.header('Content-Type', 'text/html; charset=utf-8');
  for (const [name, value] of Object.entries(CONSOLE_RESPONSE_HEADERS)) response.header(name, value);
  const done = typeof query.done === 'string' && Object.hasOwn(NOTICES, query.done) ? NOTICES[query.done] : undefined;
  const count = Number(query.count);
  return {
    root: consoleRoot(request, depth),
    csrfToken: request[CSRF_TOKEN],
    user: describeConsoleUser(request[CONSOLE_USER]),
    ...(done ? { notice: done(Number.isInteger(count) ? count : 0) } : {}),
  };
}

/** The posted form's fields (an object on both adapters), or none. */
function formBody(request: ConsoleRequest): Record<string, unknown> {
  return (typeof request.body === 'object' && request.body !== null ? request.body : {}) as Record<string, unknown>;
}

function seeOther(url: string): SeeOther {
  return { url, statusCode: HttpStatus.SEE_OTHER };
}
