"""Reply samples published by 1688 on its API pages, kept verbatim (JSON text, as printed there).

Unlike ``samples_1688`` (our own bodies in the simulator's shapes), these are the platform's: a
client that reads them reads the real gateway's replies. Each sample names its page; the pages
were read through the crawled copy of open.1688.com's API documentation (2026-11-28). Keep the
text as published: parse it with ``json.loads``, never retype it as Python literals (the order
and entry ids exceed 2^53, and the doc's own formatting is part of what we check against).
"""

from __future__ import annotations

import json
from typing import Any

# com.alibaba.trade:alibaba.trade.refund.buyer.queryOrderRefundList-1, 返回参数示例
# https://open.1688.com/api/apidocdetail.htm?id=com.alibaba.trade:alibaba.trade.refund.buyer.queryOrderRefundList-1
# Request sample: {"orderId":"177681528398969811", "dipsuteType":0}
REFUND_LIST_SOURCE = (
    "https://open.1688.com/api/apidocdetail.htm?id=com.alibaba.trade:alibaba.trade.refund.buyer.queryOrderRefundList-1"
)
REFUND_LIST = r"""{"result":{"opOrderRefundModels":[{"alipayPaymentId":"2018061421001008760569923894","applyCarriage":0,"applyPayment":1,"applyReason":"不想买了，已与卖家协商一致","applyReasonId":20028,"applySubReasonId":-1,"buyerMemberId":"b2b-1624961198","buyerUserId":1624961198,"canRefundPayment":1,"disputeRequest":3,"disputeType":1,"extInfo":{"EXmrf":"1","ttid":"2","reason":"20028","apply_text_id":"null","newRefund":"rp2","bizCode":"cbu.general.refund","lastOrder":"0","seller_agreed_refund_fee":"1","old_reason_id":"20028","b2b_seller_mId":"b2b-1623492085","seller_batch":"true","itemBuyAmount":"0","b2b_buyer_mId":"b2b-1624961198","ability":"1","seller_audit":"0","ee_trace_id":"0ab2dbd215300798520175927d07d3","ol_tf":"0","opRole":"timeout","apply_init_refund_fee":"1","isVirtual":"0","logisticsCompanyId":"-1","itemPrice":"0","interceptStatus":"0","refundFrom":"2","restartForXiaoer":"1","appName":"tosp-aftersales","abnormal_dispute_status":"0","payMode":"alipay","workflowName":"cbu_return_and_refund","sgr":"1","enfunddetail":"1","bgmtc":"2018-06-14 14:20:21"},"frozenFund":-1,"gmtApply":"20180622141034000+0800","gmtCompleted":"20180702141113000+0800","gmtCreate":"20180622141034000+0800","gmtModified":"20180702141113000+0800","goodsStatus":2,"id":10426553019961198,"orderId":177681528398969811,"productName":"短袖撞色领保罗衫定做纯棉广告衫定制印字logo刺绣男现货批发 白色/橙领 S等3种","refundCarriage":0,"refundId":"TQ10426553019961198","refundPayment":1,"rejectReasonId":0,"rejectTimes":0,"sellerMemberId":"b2b-1623492085","sellerUserId":1623492085,"status":"refundclose","tradeTypeStr":"50060","refundOperationList":[]}],"totalCount":1,"currentPageNum":0},"success":true}"""

# com.alibaba.trade:alibaba.trade.refund.OpQueryOrderRefund-1, 返回参数示例
# https://open.1688.com/api/apidocdetail.htm?id=com.alibaba.trade:alibaba.trade.refund.OpQueryOrderRefund-1
# Request sample: {"refundId":"TQ865149372**61198", "needTimeOutInfo":true, "needOrderRefundOperation":true}
REFUND_DETAIL_SOURCE = (
    "https://open.1688.com/api/apidocdetail.htm?id=com.alibaba.trade:alibaba.trade.refund.OpQueryOrderRefund-1"
)
REFUND_DETAIL = r"""{"result":{"opOrderRefundModelDetail":{"alipayPaymentId":"2018042321001008760555342267","applyCarriage":0,"applyPayment":1,"applyReason":"颜色/图案/款式不符","applyReasonId":20021,"applySubReasonId":0,"buyerLogisticsName":"其他","buyerMemberId":"b2b-1624961198","buyerSendGoods":true,"buyerUserId":1624961198,"canRefundPayment":1,"crmModifyRefund":false,"disputeRequest":3,"disputeType":1,"extInfo":{"EXmrf":"1","ttid":"2","prepaidFailure":"QUERY_BUYER_CREDIT_LEVEL_FAIL","pay_lock":"seller","reason":"20021","apply_text_id":"null","newRefund":"rp2","bizCode":"cbu.general.refund","disputeTradeStatus":"4","lastOrder":"0","seller_agreed_refund_fee":"1","old_reason_id":"20021","sync":"0","b2b_seller_mId":"b2b-1623492085","seller_batch":"true","itemBuyAmount":"0","b2b_buyer_mId":"b2b-1624961198","ability":"1","refundPostFee":"0","seller_audit":"0","ee_trace_id":"0b802ca915244768332374685efa19","ol_tf":"1","opRole":"user","apply_init_refund_fee":"1","isVirtual":"0","logisticsCompanyId":"-1","itemPrice":"0","interceptStatus":"0","refundFrom":"2","restartForXiaoer":"1","appName":"tosp-aftersales","abnormal_dispute_status":"0","payMode":"alipay","workflowName":"cbu_return_and_refund","sgr":"1","enfunddetail":"1","sellerDoRefundNick":"alitestforisv01","bgmtc":"2018-04-23 09:48:12"},"freightBill":"12345134135435234","frozenFund":-1,"gmtApply":"20180423171116000+0800","gmtCompleted":"20180423174713000+0800","gmtCreate":"20180423171116000+0800","gmtModified":"20180423174714000+0800","goodsReceived":true,"goodsStatus":3,"id":8651493722961198,"newRefundReturn":true,"onlyRefund":false,"orderEntryCountMap":{"151267031009969811":2},"orderEntryIdList":[151267031009969811],"orderId":151267031008969811,"productName":"欧洲站2018新款宽松显瘦烫金印花字母老鹰短袖T恤打底裤套装女潮","refundCarriage":0,"refundGoods":true,"refundId":"TQ8651493722961198","refundPayment":1,"rejectReasonId":0,"rejectTimes":0,"sellerDelayDisburse":false,"sellerMemberId":"b2b-1623492085","sellerMobile":"19926555555","sellerRealName":"琳琳","sellerReceiveAddress":"山东 聊城 解决了交流交流链接连接","sellerUserId":1623492085,"status":"refundsuccess","supportNewSteppay":true,"timeOutFreeze":false,"tradeTypeStr":"50060","refundOperationList":[{"afterOperateStatus":"waitsellerreceive","beforeOperateStatus":"waitsellerreceive","closeRefundStepId":0,"crmModifyRefund":false,"discription":"卖家同意退货退款协议，退货退款成功","gmtCreate":"20180423174714000+0800","gmtModified":"20180423174714000+0800","id":50027795018,"messageStatus":3,"msgType":7,"operateRemark":"退款成功","operateTypeInt":8,"operatorLoginId":"alitestforisv01","operatorRoleId":2,"operatorUserId":1623492085,"refundId":"TQ8651493722961198"},{"afterOperateStatus":"waitbuyersend","beforeOperateStatus":"waitbuyersend","closeRefundStepId":0,"crmModifyRefund":false,"discription":"买家声明退货，等待卖家确认。|物流公司：其他|物流单号：12345134135435234|说明：asdada|","gmtCreate":"20180423174651000+0800","gmtModified":"20180423174651000+0800","id":50027571423,"messageStatus":3,"msgType":7,"operateRemark":"买家退货","operateTypeInt":10,"operatorLoginId":"alitestforisv02","operatorRoleId":1,"operatorUserId":1624961198,"refundId":"TQ8651493722961198"},{"afterOperateStatus":"waitselleragree","beforeOperateStatus":"waitselleragree","closeRefundStepId":0,"crmModifyRefund":false,"discription":"卖家确认收货地址：琳琳,19926555555,山东 聊城 解决了交流交流链接连接","gmtCreate":"20180423174544000+0800","gmtModified":"20180423174544000+0800","id":49967844797,"messageStatus":3,"msgType":7,"operateRemark":"确认收货地址","operateTypeInt":19,"operatorLoginId":"alitestforisv01","operatorRoleId":2,"operatorUserId":1623492085,"refundId":"TQ8651493722961198"},{"closeRefundStepId":0,"crmModifyRefund":false,"discription":"退款诉求：退货退款|申请原因：颜色/图案/款式不符|货品情况：已收到货|退款货品金额：0.01|退款运费金额：0.00|退款说明：asdad","gmtCreate":"20180423171116000+0800","gmtModified":"20180423171116000+0800","id":49962356896,"messageStatus":3,"msgType":7,"operateRemark":"买家申请退款协议，等待卖家确认","operateTypeInt":1,"operatorLoginId":"alitestforisv02","operatorRoleId":1,"operatorUserId":1624961198,"refundId":"TQ8651493722961198"}],"buyerLoginId":"alitestforisv02","sellerLoginId":"alitestforisv01"}}}"""

# com.alibaba.trade:alibaba.trade.createRefund-1, 返回结果 (the result field's example)
# https://open.1688.com/api/apidocdetail.htm?id=com.alibaba.trade:alibaba.trade.createRefund-1
CREATE_REFUND_SOURCE = "https://open.1688.com/api/apidocdetail.htm?id=com.alibaba.trade:alibaba.trade.createRefund-1"
CREATE_REFUND = r"""{"result":{"result":{"refundId":"TQ34931008034741532"},"success":true}}"""

# com.alibaba.trade:alibaba.trade.refund.returnGoods-1, 返回结果 (the result field's example: a refusal)
# https://open.1688.com/api/apidocdetail.htm?id=com.alibaba.trade:alibaba.trade.refund.returnGoods-1
RETURN_GOODS_SOURCE = "https://open.1688.com/api/apidocdetail.htm?id=com.alibaba.trade:alibaba.trade.refund.returnGoods-1"
RETURN_GOODS_REFUSED = r"""{"result":{"errorCode":"4004","errorInfo":"物流公司编号和运单号校验不通过","success":false}}"""


def body(text: str) -> Any:
    """The sample as the client's transport would decode it (whole numbers stay exact)."""
    return json.loads(text)
