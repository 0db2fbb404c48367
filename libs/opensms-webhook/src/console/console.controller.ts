import {
  type CanActivate,
  Controller,
  Get,
  Header,
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
import { type AuthorizedConsoleRequest, ConsoleAccessGuard, describeConsoleUser } from './console-access.guard';
import { ConsoleCsrfGuard, CSRF_TOKEN, type CsrfCheckedRequest } from './console-csrf.guard';
import { ConsoleInboxService } from './console-inbox.service';
import { readSearch, searchQueryString } from './console-search.params';
import { CONSOLE_RESPONSE_HEADERS, CONSOLE_USER } from './console.constants';
import { consoleRoot, type ConsoleResponse, formField } from './console.http';
import { CONSOLE_STYLESHEET } from './console.styles';
import { type ConsolePageContext, eventPage, notFoundPage, overviewPage, replayDeadPage, searchPage, timelinePage } from './console.views';

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
      return searchPage(context, search, await this.inbox.search(search.filter, search.cursor));
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
      const body = (typeof request.body === 'object' && request.body !== null ? request.body : {}) as Record<string, unknown>;
      const { form, filter } = readSearch({ ...body, state: '' });
      const expected = Number(formField(request, 'expected'));
      const count = Number.isInteger(expected) && expected > 0 ? await this.inbox.replayDead(filter, expected, request[CONSOLE_USER]) : 0;
      const query = searchQueryString({ ...form, state: 'dead' }, { done: 'replayed-dead', count: String(count) });
      return seeOther(`${consoleRoot(request, 1)}/events${query}`);
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

function seeOther(url: string): SeeOther {
  return { url, statusCode: HttpStatus.SEE_OTHER };
}
