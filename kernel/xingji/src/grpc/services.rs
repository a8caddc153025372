//! The services of the `xingji.v1` API, each a table of its RPCs and the
//! core call that answers each (`adapter!`): `= part.call` is
//! `kernel.part().call(&actor, request)`, with who acts as authentication
//! found it.

use std::pin::Pin;

use tokio_stream::{Stream, StreamExt};
use tonic::{Request, Response, Status};
use xingji_api::v1::audit_service_server::AuditService;
use xingji_api::v1::campaign_service_server::CampaignService;
use xingji_api::v1::month_close_service_server::MonthCloseService;
use xingji_api::v1::order_service_server::OrderService;
use xingji_api::v1::outlet_service_server::OutletService;
use xingji_api::v1::person_service_server::PersonService;
use xingji_api::v1::plugin_service_server::PluginService;
use xingji_api::v1::tour_service_server::TourService;
use xingji_api::v1::warranty_service_server::WarrantyService;
use xingji_api::v1::*;

use crate::grpc::adapter::adapter;
use crate::grpc::status::status;

adapter! {
    /// The `OutletService` implementation.
    OutletApi: OutletService {
        create_outlet(CreateOutletRequest) -> Outlet = outlets.create;
        get_outlet(GetOutletRequest) -> Outlet = outlets.get;
        list_outlets(ListOutletsRequest) -> ListOutletsResponse = outlets.list;
        update_outlet(UpdateOutletRequest) -> Outlet = outlets.update;
        record_audit(RecordAuditRequest) -> Audit = outlets.record_audit;
        list_audits(ListAuditsRequest) -> ListAuditsResponse = outlets.list_audits;
    }
}

adapter! {
    /// The `PersonService` implementation.
    PersonApi: PersonService {
        create_person(CreatePersonRequest) -> Person = people.create;
        get_person(GetPersonRequest) -> Person = people.get;
        list_people(ListPeopleRequest) -> ListPeopleResponse = people.list;
        update_person(UpdatePersonRequest) -> Person = people.update;
        record_licence_event(RecordLicenceEventRequest) -> Person = people.record_licence_event;
        list_licence_events(ListLicenceEventsRequest) -> ListLicenceEventsResponse = people.list_licence_events;
    }
}

adapter! {
    /// The `OrderService` implementation.
    OrderApi: OrderService {
        create_order(CreateOrderRequest) -> Order = orders.create;
        get_order(GetOrderRequest) -> Order = orders.get;
        list_orders(ListOrdersRequest) -> ListOrdersResponse = orders.list;
        dispatch_order(DispatchOrderRequest) -> Order = orders.dispatch;
        accept_order(AcceptOrderRequest) -> Order = orders.accept;
        refuse_order(RefuseOrderRequest) -> Order = orders.refuse;
        contact_customer(ContactCustomerRequest) -> Order = orders.contact;
        arrive_on_site(ArriveOnSiteRequest) -> Order = orders.arrive;
        complete_order(CompleteOrderRequest) -> Order = orders.complete;
        record_callback(RecordCallbackRequest) -> Order = orders.record_callback;
        check_quality(CheckQualityRequest) -> Order = orders.check_quality;
        cancel_order(CancelOrderRequest) -> Order = orders.cancel;
        invalidate_order(InvalidateOrderRequest) -> Order = orders.invalidate;
        advance_complaint(AdvanceComplaintRequest) -> Order = orders.advance_complaint;
    }
    extra {
        type WatchOrdersStream = Pin<Box<dyn Stream<Item = Result<OrderEvent, Status>> + Send>>;

        async fn watch_orders(
            &self,
            request: Request<WatchOrdersRequest>,
        ) -> Result<Response<Self::WatchOrdersStream>, Status> {
            let actor = crate::grpc::actor::actor(&request)?;
            let events = self.kernel.orders().watch(&actor, request.into_inner()).await;
            self.kernel.record_denial(&actor, "WatchOrders", &events).await;
            let events = events.map_err(status)?;
            let events = tokio_stream::wrappers::ReceiverStream::new(events)
                .map(|event| event.map_err(status));
            Ok(Response::new(Box::pin(events)))
        }
    }
}

adapter! {
    /// The `MonthCloseService` implementation.
    MonthCloseApi: MonthCloseService {
        close_month(CloseMonthRequest) -> MonthClose = month_closes.close;
        get_month_close(GetMonthCloseRequest) -> MonthClose = month_closes.get;
        list_month_closes(ListMonthClosesRequest) -> ListMonthClosesResponse = month_closes.list;
    }
}

adapter! {
    /// The `PluginService` implementation.
    PluginApi: PluginService {
        install_plugin(InstallPluginRequest) -> Plugin = plugin_admin.install;
        uninstall_plugin(UninstallPluginRequest) -> Plugin = plugin_admin.uninstall;
        list_plugins(ListPluginsRequest) -> ListPluginsResponse = plugin_admin.list;
        get_region_plugins(GetRegionPluginsRequest) -> RegionPlugins = plugin_admin.region_plugins;
        activate_plugin(ActivatePluginRequest) -> Activation = plugin_admin.activate;
        rollback_plugin(RollbackPluginRequest) -> Activation = plugin_admin.rollback;
        reset_plugin(ResetPluginRequest) -> Activation = plugin_admin.reset;
        list_activations(ListActivationsRequest) -> ListActivationsResponse = plugin_admin.history;
        get_plugin_stats(GetPluginStatsRequest) -> PluginStats = plugin_admin.stats;
        shadow_plugin(ShadowPluginRequest) -> Activation = plugin_admin.shadow;
        get_shadow_report(GetShadowReportRequest) -> ShadowReport = plugin_admin.shadow_report;
        list_order_decisions(ListOrderDecisionsRequest) -> ListOrderDecisionsResponse = plugin_admin.decisions;
    }
}

adapter! {
    /// The `WarrantyService` implementation.
    WarrantyApi: WarrantyService {
        quote(QuoteRequest) -> QuoteResponse = warranty.quote;
        purchase(PurchaseRequest) -> WarrantyContract = warranty.purchase;
        get_contract(GetContractRequest) -> WarrantyContract = warranty.get_contract;
        list_contracts(ListContractsRequest) -> ListContractsResponse = warranty.list_contracts;
    }
}

adapter! {
    /// The `CampaignService` implementation.
    CampaignApi: CampaignService {
        run_birthday_campaign(RunBirthdayCampaignRequest) -> RunBirthdayCampaignResponse = campaigns.run_birthdays;
    }
}

adapter! {
    /// The `TourService` implementation.
    TourApi: TourService {
        plan_tours(PlanToursRequest) -> PlanToursResponse = tours.plan;
    }
}

adapter! {
    /// The `AuditService` implementation.
    AuditApi: AuditService {
        list_audit_events(ListAuditEventsRequest) -> ListAuditEventsResponse = audit_trail.list;
    }
}
