<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN" sourcelanguage="en">
    <context>
        <name>AdminPage</name>
        <message>
            <source>Departments</source>
            <translation>科室</translation>
        </message>
        <message>
            <source>Doctors</source>
            <translation>医生</translation>
        </message>
        <message>
            <source>Staff accounts</source>
            <translation>员工账号</translation>
        </message>
        <message>
            <source>Booking rules</source>
            <translation>预约规则</translation>
        </message>
        <message>
            <source>Desk shares</source>
            <translation>现场号</translation>
        </message>
        <message>
            <source>Holidays</source>
            <translation>节假日</translation>
        </message>
    </context>
    <context>
        <name>Banner</name>
        <message>
            <source>Retry now</source>
            <translation>立即重试</translation>
        </message>
        <message>
            <source>The database cannot be reached. Nothing you do is lost: decisions that did not reach the database stay in the lists. Retrying every few seconds…</source>
            <translation>无法连接数据库。您的操作不会丢失：未能保存到数据库的处理仍留在列表中。每隔几秒自动重试……</translation>
        </message>
        <message>
            <source>Retrying…</source>
            <translation>正在重试……</translation>
        </message>
    </context>
    <context>
        <name>BookingModel</name>
        <message>
            <source>No.</source>
            <translation>编号</translation>
        </message>
        <message>
            <source>Patient</source>
            <translation>患者</translation>
        </message>
        <message>
            <source>Sex/Age</source>
            <translation>性别/年龄</translation>
        </message>
        <message>
            <source>Phone</source>
            <translation>电话</translation>
        </message>
        <message>
            <source>Department</source>
            <translation>科室</translation>
        </message>
        <message>
            <source>Doctor</source>
            <translation>医生</translation>
        </message>
        <message>
            <source>Time</source>
            <translation>时段</translation>
        </message>
        <message>
            <source>Left</source>
            <translation>余号</translation>
        </message>
        <message>
            <source>Status</source>
            <translation>状态</translation>
        </message>
        <message>
            <source>Notice</source>
            <translation>通知</translation>
        </message>
        <message>
            <source>Source</source>
            <translation>来源</translation>
        </message>
        <message>
            <source>Desk left</source>
            <translation>现场余号</translation>
        </message>
        <message>
            <source>Note</source>
            <translation>备注</translation>
        </message>
        <message>
            <source>Sent</source>
            <translation>申请时间</translation>
        </message>
        <message>
            <source>Day</source>
            <translation>就诊日</translation>
        </message>
        <message>
            <source>Waitlist</source>
            <translation>候补</translation>
        </message>
        <message>
            <source>Rules</source>
            <translation>规则</translation>
        </message>
        <message>
            <source>History</source>
            <translation>就诊记录</translation>
        </message>
    </context>
    <context>
        <name>ConnectionStatus</name>
        <message>
            <source>No changes seen yet</source>
            <translation>尚未收到变更</translation>
        </message>
        <message>
            <source>● Connected</source>
            <translation>● 已连接</translation>
        </message>
        <message>
            <source>● Catching up…</source>
            <translation>● 正在同步……</translation>
        </message>
        <message>
            <source>● Offline</source>
            <translation>● 连接中断</translation>
        </message>
        <message>
            <source>● Connecting…</source>
            <translation>● 正在连接……</translation>
        </message>
        <message>
            <source>Last change %1</source>
            <translation>最近变更 %1</translation>
        </message>
    </context>
    <context>
        <name>ConnectionWatch</name>
        <message>
            <source>The live feed lost the database.</source>
            <translation>实时更新与数据库的连接中断。</translation>
        </message>
    </context>
    <context>
        <name>DayActions</name>
        <message>
            <source>Nothing is selected: choose a patient first (J/K or the arrows).</source>
            <translation>未选中任何患者：请先用 J/K 或方向键选中一行。</translation>
        </message>
        <message>
            <source>The chosen booking(s) cannot take this action: see their status.</source>
            <translation>所选预约的状态不允许此操作，请查看“状态”列。</translation>
        </message>
        <message>
            <source>Checked in %n patient(s).</source>
            <translation>已为 %n 位患者签到。</translation>
        </message>
        <message>
            <source>Checked in: %1</source>
            <translation>已签到：%1</translation>
        </message>
        <message>
            <source>Undo check-in (Ctrl+Z)</source>
            <translation>撤销签到 (Ctrl+Z)</translation>
        </message>
        <message>
            <source>Mark as no-show</source>
            <translation>标记爽约</translation>
        </message>
        <message>
            <source>A no-show counts toward the patient's no-show limit (online booking is suspended when it is reached). It can be undone today.</source>
            <translation>爽约会计入患者的爽约次数（达到上限将暂停网上预约）。今天之内可以撤销。</translation>
        </message>
        <message>
            <source>Mark no-show</source>
            <translation>标记爽约</translation>
        </message>
        <message>
            <source>Back</source>
            <translation>返回</translation>
        </message>
        <message>
            <source>Marked %n booking(s) as no-show.</source>
            <translation>已将 %n 个预约标记为爽约。</translation>
        </message>
        <message>
            <source>No-show: %1</source>
            <translation>已标记爽约：%1</translation>
        </message>
        <message>
            <source>Undo no-show (Ctrl+Z)</source>
            <translation>撤销爽约 (Ctrl+Z)</translation>
        </message>
        <message>
            <source>Undo check-in or no-show</source>
            <translation>撤销签到/爽约</translation>
        </message>
        <message>
            <source>The reason is recorded:</source>
            <translation>理由将记入操作记录：</translation>
        </message>
        <message>
            <source>Undo</source>
            <translation>撤销</translation>
        </message>
        <message>
            <source>Check-in undone for %n patient(s).</source>
            <translation>已撤销 %n 位患者的签到。</translation>
        </message>
        <message>
            <source>No-show undone for %n patient(s).</source>
            <translation>已撤销 %n 位患者的爽约。</translation>
        </message>
        <message>
            <source>Cancel bookings</source>
            <translation>取消预约</translation>
        </message>
        <message>
            <source>The patient is told the reason:</source>
            <translation>患者会收到以下原因：</translation>
        </message>
        <message>
            <source>Cancel the booking(s)</source>
            <translation>取消预约</translation>
        </message>
        <message>
            <source>Cancelled %n booking(s).</source>
            <translation>已取消 %n 个预约。</translation>
        </message>
        <message>
            <source>Choose a patient of the slot first</source>
            <translation>请先选择该时段的一位患者</translation>
        </message>
        <message>
            <source>Not in the departments you are responsible for</source>
            <translation>不在您负责的科室</translation>
        </message>
        <message>
            <source>This slot's session is stopped or over</source>
            <translation>该时段的出诊已停诊或已结束</translation>
        </message>
        <message>
            <source>Add places to the chosen patient's slot, with a reason (加号)</source>
            <translation>为所选患者的时段加号（需填写原因）</translation>
        </message>
    </context>
    <context>
        <name>DayListModel</name>
        <message>
            <source>Not delivered: see the Notifications page to send it again</source>
            <translation>未送达：可在「通知」页重发</translation>
        </message>
        <message>
            <source>Waitlist No. %1</source>
            <translation>候补第 %1 位</translation>
        </message>
        <message>
            <source>Places a walk-in may take in this slot now: before the clinic day only the desk's share (现场号), on the day every free place</source>
            <translation>该时段现场挂号现在可用的号数：就诊日前只能用现场号，就诊当天所有空号均可</translation>
        </message>
    </context>
    <context>
        <name>DayListPage</name>
        <message>
            <source>All bookings</source>
            <translation>全部预约</translation>
        </message>
        <message>
            <source>Expected and seen</source>
            <translation>待诊与已诊</translation>
        </message>
        <message>
            <source>Not yet checked in</source>
            <translation>未签到</translation>
        </message>
        <message>
            <source>Checked in</source>
            <translation>已签到</translation>
        </message>
        <message>
            <source>No-shows</source>
            <translation>爽约</translation>
        </message>
        <message>
            <source>Pending review</source>
            <translation>待审核</translation>
        </message>
        <message>
            <source>Cancelled and refused</source>
            <translation>已取消/未通过</translation>
        </message>
        <message>
            <source>Previous day (Alt+Left)</source>
            <translation>前一天（Alt+←）</translation>
        </message>
        <message>
            <source>Next day (Alt+Right)</source>
            <translation>后一天（Alt+→）</translation>
        </message>
        <message>
            <source>Today</source>
            <translation>今天</translation>
        </message>
        <message>
            <source>Search name, phone, No.… (Ctrl+F)</source>
            <translation>搜索姓名、电话、编号 (Ctrl+F)</translation>
        </message>
        <message>
            <source>Check in (C)</source>
            <translation>签到 (C)</translation>
        </message>
        <message>
            <source>No-show (N)</source>
            <translation>爽约 (N)</translation>
        </message>
        <message>
            <source>Cancel booking…</source>
            <translation>代患者取消…</translation>
        </message>
        <message>
            <source>Cancel for the patient, with a reason (Ctrl+Delete)</source>
            <translation>代患者取消预约，需填写原因（Ctrl+Delete）</translation>
        </message>
        <message>
            <source>Undo check-in/no-show…</source>
            <translation>撤销签到/爽约…</translation>
        </message>
        <message>
            <source>Undo the check-in or no-show of the chosen rows (Ctrl+Z); after the clinic day a department head or an admin, with a reason</source>
            <translation>撤销所选行的签到或爽约 (Ctrl+Z)；就诊日之后需科主任或管理员并填写理由</translation>
        </message>
        <message>
            <source>Walk-in… (Ctrl+N)</source>
            <translation>现场挂号… (Ctrl+N)</translation>
        </message>
        <message>
            <source>Extra places (加号)…</source>
            <translation>加号…</translation>
        </message>
        <message>
            <source>Refresh</source>
            <translation>刷新</translation>
        </message>
        <message>
            <source>Reload from the database (F5)</source>
            <translation>从数据库重新读取（F5）</translation>
        </message>
        <message>
            <source>All departments</source>
            <translation>全部科室</translation>
        </message>
        <message>
            <source>All doctors</source>
            <translation>全部医生</translation>
        </message>
        <message>
            <source>Today's patients</source>
            <translation>今日就诊</translation>
        </message>
        <message>
            <source>Patients of %1</source>
            <translation>%1 就诊名单</translation>
        </message>
        <message>
            <source>Check-in: on the clinic's day only</source>
            <translation>签到仅限就诊当天</translation>
        </message>
        <message>
            <source>Check-in only on the clinic's own day: this is the list of %1.</source>
            <translation>只能在就诊当天签到：这是 %1 的名单。</translation>
        </message>
        <message>
            <source>Check in the chosen patients (C or Ctrl+Enter); only on the clinic's own day</source>
            <translation>为所选患者签到（C 或 Ctrl+Enter）；仅限就诊当天</translation>
        </message>
        <message>
            <source>%1 booked · %2 checked in · %3 to come · %4 no-show · %5 pending</source>
            <translation>已约 %1 · 已签到 %2 · 未到 %3 · 爽约 %4 · 待审核 %5</translation>
        </message>
        <message>
            <source>Walk-in booked: No. %1.</source>
            <translation>现场挂号成功：编号 %1。</translation>
        </message>
    </context>
    <context>
        <name>DayListPrinter</name>
        <message>
            <source>{shown} of {total} bookings shown</source>
            <translation>显示 {shown} 条（共 {total} 条）</translation>
        </message>
        <message>
            <source>{total} bookings</source>
            <translation>共 {total} 条</translation>
        </message>
        <message>
            <source>Printed {when}</source>
            <translation>打印于 {when}</translation>
        </message>
        <message>
            <source>Page {n} of {pages}</source>
            <translation>第 {n} 页，共 {pages} 页</translation>
        </message>
        <message>
            <source>Preparing the printout…</source>
            <translation>正在准备打印…</translation>
        </message>
        <message>
            <source>Print preview: {title}</source>
            <translation>打印预览：{title}</translation>
        </message>
        <message>
            <source>Save the day list as PDF</source>
            <translation>将当日名单保存为 PDF</translation>
        </message>
        <message>
            <source>Patients {day}</source>
            <translation>患者名单-{day}</translation>
        </message>
        <message>
            <source>PDF (*.pdf)</source>
            <translation>PDF 文件 (*.pdf)</translation>
        </message>
        <message>
            <source>Patient list {day}</source>
            <translation>门诊患者名单 {day}</translation>
        </message>
        <message>
            <source>search “{text}”</source>
            <translation>搜索“{text}”</translation>
        </message>
        <message>
            <source>sorted by {column}, descending</source>
            <translation>按{column}降序</translation>
        </message>
        <message>
            <source>sorted by {column}</source>
            <translation>按{column}排序</translation>
        </message>
    </context>
    <context>
        <name>Delivery</name>
        <message>
            <source>The messages wait in the outbox; whether the job service sends them now could not be read.</source>
            <translation>这些消息在发件箱中等待；读取不到后台服务现在是否在发送。</translation>
        </message>
        <message>
            <source>WeChat is not configured, so nothing sends these messages now: they wait in the outbox until an administrator fills in the WeChat page; then the job service (regdesk jobs) sends them.</source>
            <translation>微信尚未配置，现在没有程序发送这些消息：它们在发件箱中等待，管理员填写“微信”页面后，由后台服务（regdesk jobs）发送。</translation>
        </message>
        <message>
            <source>The job service sends WeChat messages: they go out within a few seconds (it last reported at {time}).</source>
            <translation>微信消息由后台服务发送，几秒钟内发出（后台服务最近一次报告：{time}）。</translation>
        </message>
        <message>
            <source>They wait in the outbox for the job service (regdesk jobs), which has not reported since {time}: it is not sending now.</source>
            <translation>这些消息在发件箱中等待后台服务（regdesk jobs）发送，但后台服务自 {time} 起没有报告，现在没有在发送。</translation>
        </message>
        <message>
            <source>They wait in the outbox for the job service (regdesk jobs), which has never run on this database: nothing sends them now.</source>
            <translation>这些消息在发件箱中等待后台服务（regdesk jobs）发送，但后台服务从未在此数据库上运行，现在没有程序发送。</translation>
        </message>
        <message>
            <source>{n} message(s) have waited since {time}.</source>
            <translation>已有 {n} 条消息自 {time} 起等待发送。</translation>
        </message>
        <message>
            <source>Last message sent: {time}.</source>
            <translation>最近一次发送：{time}。</translation>
        </message>
        <message>
            <source>No message has been sent yet.</source>
            <translation>尚未发送过任何消息。</translation>
        </message>
    </context>
    <context>
        <name>DepartmentDialog</name>
        <message>
            <source>Edit department</source>
            <translation>编辑科室</translation>
        </message>
        <message>
            <source>New department</source>
            <translation>新建科室</translation>
        </message>
        <message>
            <source>letters and digits, e.g. NK</source>
            <translation>字母和数字，例如 NK</translation>
        </message>
        <message>
            <source>Active (shown to patients)</source>
            <translation>启用（对患者显示）</translation>
        </message>
        <message>
            <source>Code</source>
            <translation>代码</translation>
        </message>
        <message>
            <source>Name</source>
            <translation>名称</translation>
        </message>
    </context>
    <context>
        <name>DepartmentsTab</name>
        <message>
            <source>Add…</source>
            <translation>添加…</translation>
        </message>
        <message>
            <source>Edit…</source>
            <translation>编辑…</translation>
        </message>
        <message>
            <source>Deactivate / activate</source>
            <translation>停用 / 启用</translation>
        </message>
        <message>
            <source>Code</source>
            <translation>代码</translation>
        </message>
        <message>
            <source>Name</source>
            <translation>名称</translation>
        </message>
        <message>
            <source>Status</source>
            <translation>状态</translation>
        </message>
        <message>
            <source>Department {name} deactivated.</source>
            <translation>科室 {name} 已停用。</translation>
        </message>
        <message>
            <source>Department {name} activated.</source>
            <translation>科室 {name} 已启用。</translation>
        </message>
    </context>
    <context>
        <name>DetailPanel</name>
        <message>
            <source>Select a request to see the patient and their history.</source>
            <translation>选择一条申请，查看患者信息和就诊记录。</translation>
        </message>
        <message>
            <source>%1 of %2 places left, %3 waiting</source>
            <translation>余号 %1/%2，待审核 %3 个</translation>
        </message>
        <message>
            <source>Request</source>
            <translation>申请</translation>
        </message>
        <message>
            <source>No-shows in the last 90 days</source>
            <translation>近90天爽约次数</translation>
        </message>
        <message>
            <source>Other bookings that day</source>
            <translation>当天其他预约</translation>
        </message>
        <message>
            <source>The rules refuse it: %1</source>
            <translation>不符合预约规则：%1</translation>
        </message>
        <message>
            <source>The rules allow it.</source>
            <translation>符合预约规则。</translation>
        </message>
        <message>
            <source>No earlier bookings.</source>
            <translation>没有以往预约。</translation>
        </message>
        <message>
            <source>Recent bookings</source>
            <translation>最近预约</translation>
        </message>
        <message>
            <source>Cancelled late</source>
            <translation>晚退号</translation>
        </message>
    </context>
    <context>
        <name>DoctorDialog</name>
        <message>
            <source>Edit doctor</source>
            <translation>编辑医生</translation>
        </message>
        <message>
            <source>New doctor</source>
            <translation>新建医生</translation>
        </message>
        <message>
            <source>{name} (inactive)</source>
            <translation>{name}（已停用）</translation>
        </message>
        <message>
            <source> yuan</source>
            <translation> 元</translation>
        </message>
        <message>
            <source>Active (patients can book)</source>
            <translation>启用（患者可预约）</translation>
        </message>
        <message>
            <source>Name</source>
            <translation>姓名</translation>
        </message>
        <message>
            <source>Title</source>
            <translation>职称</translation>
        </message>
        <message>
            <source>Department</source>
            <translation>科室</translation>
        </message>
        <message>
            <source>Fee</source>
            <translation>诊查费</translation>
        </message>
        <message>
            <source>Specialty</source>
            <translation>擅长</translation>
        </message>
        <message>
            <source>Choose a department first.</source>
            <translation>请先选择科室。</translation>
        </message>
    </context>
    <context>
        <name>DoctorsTab</name>
        <message>
            <source>All departments</source>
            <translation>全部科室</translation>
        </message>
        <message>
            <source>Department</source>
            <translation>科室</translation>
        </message>
        <message>
            <source>Add…</source>
            <translation>添加…</translation>
        </message>
        <message>
            <source>Edit…</source>
            <translation>编辑…</translation>
        </message>
        <message>
            <source>Deactivate / activate</source>
            <translation>停用 / 启用</translation>
        </message>
        <message>
            <source>Name</source>
            <translation>姓名</translation>
        </message>
        <message>
            <source>Title</source>
            <translation>职称</translation>
        </message>
        <message>
            <source>Fee</source>
            <translation>诊查费</translation>
        </message>
        <message>
            <source>Status</source>
            <translation>状态</translation>
        </message>
        <message>
            <source>Specialty</source>
            <translation>擅长</translation>
        </message>
        <message>
            <source>Doctor {name} deactivated.</source>
            <translation>医生 {name} 已停用。</translation>
        </message>
        <message>
            <source>Doctor {name} activated.</source>
            <translation>医生 {name} 已启用。</translation>
        </message>
    </context>
    <context>
        <name>ExportDailyDialog</name>
        <message>
            <source>Export the day list to Excel</source>
            <translation>导出当日患者名单（Excel）</translation>
        </message>
        <message>
            <source>Full phone and ID card numbers (not masked)</source>
            <translation>导出完整手机号和身份证号（不打码）</translation>
        </message>
        <message>
            <source>Day</source>
            <translation>日期</translation>
        </message>
        <message>
            <source>Department</source>
            <translation>科室</translation>
        </message>
        <message>
            <source>File</source>
            <translation>文件</translation>
        </message>
        <message>
            <source>Patients {day}</source>
            <translation>患者名单-{day}</translation>
        </message>
        <message>
            <source>{n} patients written to {path}</source>
            <translation>已导出 {n} 名患者：{path}</translation>
        </message>
    </context>
    <context>
        <name>ExportRosterDialog</name>
        <message>
            <source>Export the week's roster to Excel</source>
            <translation>导出本周排班表（Excel）</translation>
        </message>
        <message>
            <source>Week of</source>
            <translation>周</translation>
        </message>
        <message>
            <source>Department</source>
            <translation>科室</translation>
        </message>
        <message>
            <source>File</source>
            <translation>文件</translation>
        </message>
        <message>
            <source>Roster {week}</source>
            <translation>排班表-{week}</translation>
        </message>
        <message>
            <source>Roster of {n} departments written to {path}</source>
            <translation>已导出 {n} 个科室的排班表：{path}</translation>
        </message>
    </context>
    <context>
        <name>ExtraPlacesDialog</name>
        <message>
            <source>Add places</source>
            <translation>加号</translation>
        </message>
        <message>
            <source>Extra places (加号)</source>
            <translation>加号</translation>
        </message>
        <message>
            <source>The session (its last slot)</source>
            <translation>整个出诊（加在最后一个时段）</translation>
        </message>
        <message>
            <source>{start}–{end}: {taken} of {capacity} taken</source>
            <translation>{start}–{end}：已约 {taken}/{capacity}</translation>
        </message>
        <message>
            <source>e.g. the doctor agreed to see more patients</source>
            <translation>例如：医生同意加号</translation>
        </message>
        <message>
            <source>Where</source>
            <translation>加到</translation>
        </message>
        <message>
            <source>Places</source>
            <translation>号数</translation>
        </message>
        <message>
            <source>Reason</source>
            <translation>原因</translation>
        </message>
        <message>
            <source>{n} place(s) added: the slot now has {capacity}.</source>
            <translation>已加号 {n} 个：该时段现有 {capacity} 号。</translation>
        </message>
    </context>
    <context>
        <name>FileActions</name>
        <message>
            <source>Export the day list to Excel…</source>
            <translation>导出当日名单到 Excel……</translation>
        </message>
        <message>
            <source>Export the week's roster to Excel…</source>
            <translation>导出本周排班到 Excel……</translation>
        </message>
        <message>
            <source>Import a roster from Excel…</source>
            <translation>从 Excel 导入排班……</translation>
        </message>
        <message>
            <source>&amp;Print the day list…</source>
            <translation>打印当日名单(&amp;P)……</translation>
        </message>
        <message>
            <source>Save the day list as PDF…</source>
            <translation>将当日名单保存为 PDF……</translation>
        </message>
    </context>
    <context>
        <name>HelpDialog</name>
        <message>
            <source>Keyboard shortcuts</source>
            <translation>快捷键</translation>
        </message>
        <message>
            <source>Requests</source>
            <translation>预约审核</translation>
        </message>
        <message>
            <source>Reject with a reason (1–9 pick a common reason)</source>
            <translation>拒绝并填写原因（1–9 选择常用原因）</translation>
        </message>
        <message>
            <source>Next / previous request</source>
            <translation>下一条 / 上一条</translation>
        </message>
        <message>
            <source>Day list</source>
            <translation>今日就诊</translation>
        </message>
        <message>
            <source>Cancel for the patient (with a reason)</source>
            <translation>代患者取消（需填写原因）</translation>
        </message>
        <message>
            <source>Walk-in booking</source>
            <translation>现场挂号</translation>
        </message>
        <message>
            <source>Previous / next day</source>
            <translation>前一天 / 后一天</translation>
        </message>
        <message>
            <source>Everywhere</source>
            <translation>所有页面</translation>
        </message>
        <message>
            <source>Approve the chosen requests (the marked ones if any are marked; nothing if none is chosen)</source>
            <translation>通过所选申请（有标记时只处理已标记的；未选中时不处理任何申请）</translation>
        </message>
        <message>
            <source>Mark or unmark the current request; moving keeps the marks</source>
            <translation>标记或取消标记当前申请；移动不会清除标记</translation>
        </message>
        <message>
            <source>Clear the marks</source>
            <translation>清除全部标记</translation>
        </message>
        <message>
            <source>Rules column</source>
            <translation>“规则”列</translation>
        </message>
        <message>
            <source>What the booking rules say; approving a refused request explains why (heads and admins may approve it anyway, with a reason)</source>
            <translation>预约规则的判定；通过不符合规则的申请时会说明原因（科主任和管理员可填写理由后越过规则通过）</translation>
        </message>
        <message>
            <source>Check in (on the clinic's own day only)</source>
            <translation>签到（仅限就诊当天）</translation>
        </message>
        <message>
            <source>Mark as no-show (asks first; Enter marks, Esc goes back)</source>
            <translation>标记爽约（先确认：回车标记，Esc 返回）</translation>
        </message>
        <message>
            <source>Undo the check-in or no-show just done (or of the chosen rows; later days: a head, with a reason)</source>
            <translation>撤销刚才的签到或爽约（或所选行的；往日的需科主任并填写理由）</translation>
        </message>
        <message>
            <source>Mark or unmark the current row (check in several)</source>
            <translation>标记或取消标记当前行（批量签到）</translation>
        </message>
        <message>
            <source>Search (Esc clears; Enter goes to the list and chooses the first result if none is chosen)</source>
            <translation>搜索（Esc 清空；回车回到列表，未选中时选中第一条结果）</translation>
        </message>
        <message>
            <source>Reload from the database</source>
            <translation>从数据库重新读取</translation>
        </message>
        <message>
            <source>Switch page</source>
            <translation>切换页面</translation>
        </message>
        <message>
            <source>This help</source>
            <translation>本帮助</translation>
        </message>
        <message>
            <source>Where</source>
            <translation>页面</translation>
        </message>
        <message>
            <source>Keys</source>
            <translation>按键</translation>
        </message>
        <message>
            <source>What</source>
            <translation>作用</translation>
        </message>
        <message>
            <source>Letter keys work while the list has the focus, so typing in the search box is never taken for a command.</source>
            <translation>字母快捷键只在列表获得焦点时有效，在搜索框中输入文字不会误触发操作。</translation>
        </message>
    </context>
    <context>
        <name>HolidayDialog</name>
        <message>
            <source>New holiday exception</source>
            <translation>新增节假日例外</translation>
        </message>
        <message>
            <source>Open although a public holiday</source>
            <translation>节假日照常出诊</translation>
        </message>
        <message>
            <source>Closed (a hospital event)</source>
            <translation>停诊（医院安排）</translation>
        </message>
        <message>
            <source>Whole hospital</source>
            <translation>全院</translation>
        </message>
        <message>
            <source>Whole day</source>
            <translation>全天</translation>
        </message>
        <message>
            <source>e.g. 国庆节外科门诊, 院庆</source>
            <translation>例如：国庆节外科门诊、院庆</translation>
        </message>
        <message>
            <source>Date</source>
            <translation>日期</translation>
        </message>
        <message>
            <source>Kind</source>
            <translation>类型</translation>
        </message>
        <message>
            <source>Department</source>
            <translation>科室</translation>
        </message>
        <message>
            <source>Period</source>
            <translation>时段</translation>
        </message>
        <message>
            <source>Reason</source>
            <translation>原因</translation>
        </message>
        <message>
            <source>Applies to rosters published afterwards.</source>
            <translation>对之后发布的排班生效；已发布的出诊请用停诊。</translation>
        </message>
    </context>
    <context>
        <name>HolidaysTab</name>
        <message>
            <source>Add exception…</source>
            <translation>新增例外…</translation>
        </message>
        <message>
            <source>Remove exception</source>
            <translation>删除例外</translation>
        </message>
        <message>
            <source>Date</source>
            <translation>日期</translation>
        </message>
        <message>
            <source>Weekday</source>
            <translation>星期</translation>
        </message>
        <message>
            <source>Public arrangement</source>
            <translation>法定安排</translation>
        </message>
        <message>
            <source>Hospital exception</source>
            <translation>医院例外</translation>
        </message>
        <message>
            <source>Whole hospital</source>
            <translation>全院</translation>
        </message>
        <message>
            <source>whole day</source>
            <translation>全天</translation>
        </message>
        <message>
            <source>open</source>
            <translation>照常出诊</translation>
        </message>
        <message>
            <source>closed</source>
            <translation>停诊</translation>
        </message>
        <message>
            <source>Public holidays of {years} are not known yet (the chinese-calendar package has no data): publishing treats those days as ordinary days.</source>
            <translation>{years} 年的法定节假日安排尚未收录（chinese-calendar 暂无数据）：发布排班时按平常日处理。</translation>
        </message>
        <message>
            <source>Exception of {day} removed.</source>
            <translation>已删除 {day} 的例外。</translation>
        </message>
    </context>
    <context>
        <name>ImportRosterDialog</name>
        <message>
            <source>Import</source>
            <translation>导入</translation>
        </message>
        <message>
            <source>Import a roster from Excel</source>
            <translation>从 Excel 导入排班</translation>
        </message>
        <message>
            <source>The whole file is checked first: if anything is wrong, nothing is changed and every problem is listed with its sheet and cell.</source>
            <translation>先检查整个文件：只要有任何问题，数据库都不会被修改，并列出每个问题所在的工作表和单元格。</translation>
        </message>
        <message>
            <source>File</source>
            <translation>文件</translation>
        </message>
        <message>
            <source>Open roster</source>
            <translation>打开排班表</translation>
        </message>
        <message>
            <source>Excel workbook (*.xlsx)</source>
            <translation>Excel 工作簿 (*.xlsx)</translation>
        </message>
        <message>
            <source>Choose the roster file to import.</source>
            <translation>请选择要导入的排班表文件。</translation>
        </message>
        <message>
            <source>{n} problems in the file; nothing was changed:</source>
            <translation>文件中有 {n} 处问题，未做任何修改：</translation>
        </message>
    </context>
    <context>
        <name>Jobs</name>
        <message>
            <source>deciding requests</source>
            <translation>审核预约</translation>
        </message>
        <message>
            <source>sending WeChat messages</source>
            <translation>发送微信消息</translation>
        </message>
        <message>
            <source>marking no-shows</source>
            <translation>标记爽约</translation>
        </message>
        <message>
            <source>reminders</source>
            <translation>就诊提醒</translation>
        </message>
        <message>
            <source>pruning the change log</source>
            <translation>清理变更记录</translation>
        </message>
        <message>
            <source>Job service: running, last round {time}</source>
            <translation>后台服务：运行中，最近一轮 {time}</translation>
        </message>
        <message>
            <source>Job service: has never run</source>
            <translation>后台服务：从未运行</translation>
        </message>
        <message>
            <source>Job service: not running (last seen {time})</source>
            <translation>后台服务：未运行（最后一次 {time}）</translation>
        </message>
        <message>
            <source>standing by</source>
            <translation>待命</translation>
        </message>
        <message>
            <source>running</source>
            <translation>运行中</translation>
        </message>
        <message>
            <source>stopped</source>
            <translation>已停止</translation>
        </message>
        <message>
            <source>silent</source>
            <translation>无响应</translation>
        </message>
    </context>
    <context>
        <name>JobsBanner</name>
        <message>
            <source>The job service (regdesk jobs) has never run on this database.</source>
            <translation>后台服务（regdesk jobs）从未在此数据库上运行。</translation>
        </message>
        <message numerus="yes">
            <source>The job service (regdesk jobs) has not run for %n minute(s).</source>
            <translation>
                <numerusform>后台服务（regdesk jobs）已有 %n 分钟没有运行。</numerusform>
            </translation>
        </message>
        <message>
            <source>Automatic approval is on, but nothing decides the requests or sends WeChat messages now: decide requests by hand and ask the administrator to start the job service.</source>
            <translation>自动审核已开启，但现在没有程序审核预约申请、发送微信消息：请人工审核，并请管理员启动后台服务。</translation>
        </message>
    </context>
    <context>
        <name>JobsTab</name>
        <message>
            <source>The job service decides requests by the rules, sends WeChat messages, marks no-shows, queues reminders and prunes the change log. Consoles do none of this: start it on one machine (regdesk jobs, see the deployment guide); a second one on another machine waits and takes over within a minute if the first stops.</source>
            <translation>后台服务按规则审核预约申请、发送微信消息、标记爽约、安排就诊提醒、清理变更记录。工作站不做这些事：请在一台机器上运行后台服务（regdesk jobs，见部署说明）；另一台机器上的第二个后台服务会待命，第一个停止后一分钟内接替。</translation>
        </message>
        <message>
            <source>Host</source>
            <translation>主机</translation>
        </message>
        <message>
            <source>Process</source>
            <translation>进程</translation>
        </message>
        <message>
            <source>Version</source>
            <translation>版本</translation>
        </message>
        <message>
            <source>State</source>
            <translation>状态</translation>
        </message>
        <message>
            <source>Acts for</source>
            <translation>负责的任务</translation>
        </message>
        <message>
            <source>Last round</source>
            <translation>最近一轮</translation>
        </message>
        <message>
            <source>Last error</source>
            <translation>最近错误</translation>
        </message>
        <message>
            <source>Refresh</source>
            <translation>刷新</translation>
        </message>
        <message>
            <source>Job service</source>
            <translation>后台服务</translation>
        </message>
        <message>
            <source>running</source>
            <translation>运行中</translation>
        </message>
        <message>
            <source>stopped {time}</source>
            <translation>已停止（{time}）</translation>
        </message>
        <message>
            <source>silent since {time}</source>
            <translation>自 {time} 起无响应</translation>
        </message>
    </context>
    <context>
        <name>Labels</name>
        <message>
            <source>Pending review</source>
            <translation>待审核</translation>
        </message>
        <message>
            <source>Booked</source>
            <translation>预约成功</translation>
        </message>
        <message>
            <source>Rejected</source>
            <translation>预约失败</translation>
        </message>
        <message>
            <source>Slot full</source>
            <translation>预约已满</translation>
        </message>
        <message>
            <source>Cancelled</source>
            <translation>已取消</translation>
        </message>
        <message>
            <source>Clinic stopped</source>
            <translation>已停诊</translation>
        </message>
        <message>
            <source>Checked in</source>
            <translation>已签到</translation>
        </message>
        <message>
            <source>No-show</source>
            <translation>爽约</translation>
        </message>
        <message>
            <source>Mini-program</source>
            <translation>小程序</translation>
        </message>
        <message>
            <source>Desk</source>
            <translation>窗口</translation>
        </message>
        <message>
            <source>Male</source>
            <translation>男</translation>
        </message>
        <message>
            <source>Female</source>
            <translation>女</translation>
        </message>
        <message>
            <source>Unknown</source>
            <translation>未知</translation>
        </message>
        <message>
            <source>M</source>
            <translation>男</translation>
        </message>
        <message>
            <source>F</source>
            <translation>女</translation>
        </message>
        <message>
            <source>?</source>
            <translation>?</translation>
        </message>
        <message>
            <source>Morning</source>
            <translation>上午</translation>
        </message>
        <message>
            <source>Afternoon</source>
            <translation>下午</translation>
        </message>
        <message>
            <source>Evening</source>
            <translation>晚上</translation>
        </message>
        <message>
            <source>Mon</source>
            <translation>周一</translation>
        </message>
        <message>
            <source>Tue</source>
            <translation>周二</translation>
        </message>
        <message>
            <source>Wed</source>
            <translation>周三</translation>
        </message>
        <message>
            <source>Thu</source>
            <translation>周四</translation>
        </message>
        <message>
            <source>Fri</source>
            <translation>周五</translation>
        </message>
        <message>
            <source>Sat</source>
            <translation>周六</translation>
        </message>
        <message>
            <source>Sun</source>
            <translation>周日</translation>
        </message>
        <message>
            <source>Clerk</source>
            <translation>挂号员</translation>
        </message>
        <message>
            <source>Department head</source>
            <translation>科室主任</translation>
        </message>
        <message>
            <source>Administrator</source>
            <translation>管理员</translation>
        </message>
        <message>
            <source>Today</source>
            <translation>今天</translation>
        </message>
        <message>
            <source>Tomorrow</source>
            <translation>明天</translation>
        </message>
        <message>
            <source>%1 y</source>
            <translation>%1岁</translation>
        </message>
        <message>
            <source>No-shows: %n</source>
            <translation>爽约%n次</translation>
        </message>
        <message>
            <source>Same day: %n more</source>
            <translation>当天另有%n个</translation>
        </message>
        <message>
            <source>No-shows in the last 90 days: %n</source>
            <translation>近90天爽约 %n 次</translation>
        </message>
        <message>
            <source>%n waiting for this slot</source>
            <translation>该时段有 %n 个待审核</translation>
        </message>
        <message>
            <source>%n min</source>
            <translation>%n分</translation>
        </message>
        <message>
            <source>%n h</source>
            <translation>%n小时</translation>
        </message>
        <message>
            <source>%n d</source>
            <translation>%n天</translation>
        </message>
        <message>
            <source>Sent %1, waiting for %2</source>
            <translation>申请于 %1，已等待 %2</translation>
        </message>
        <message>
            <source>OK</source>
            <translation>可通过</translation>
        </message>
        <message>
            <source>Too far ahead</source>
            <translation>超出预约期</translation>
        </message>
        <message>
            <source>No-show limit</source>
            <translation>爽约限制</translation>
        </message>
        <message>
            <source>Same dept. that day</source>
            <translation>当天同科室重复</translation>
        </message>
        <message>
            <source>Past cut-off</source>
            <translation>已过截止时间</translation>
        </message>
        <message>
            <source>Not published</source>
            <translation>未发布</translation>
        </message>
        <message>
            <source>Clinic over</source>
            <translation>门诊已结束</translation>
        </message>
    </context>
    <context>
        <name>ListTab</name>
        <message>
            <source>Active</source>
            <translation>启用</translation>
        </message>
        <message>
            <source>Inactive</source>
            <translation>已停用</translation>
        </message>
    </context>
    <context>
        <name>LoginDialog</name>
        <message>
            <source>Registration desk</source>
            <translation>挂号窗口</translation>
        </message>
        <message>
            <source>Log in with your staff account.</source>
            <translation>请使用员工账号登录。</translation>
        </message>
        <message>
            <source>Username</source>
            <translation>用户名</translation>
        </message>
        <message>
            <source>Password</source>
            <translation>密码</translation>
        </message>
        <message>
            <source>Database: %1</source>
            <translation>数据库：%1</translation>
        </message>
        <message>
            <source>Enter your username.</source>
            <translation>请输入用户名。</translation>
        </message>
        <message>
            <source>Enter your password.</source>
            <translation>请输入密码。</translation>
        </message>
        <message>
            <source>Log in</source>
            <translation>登录</translation>
        </message>
        <message>
            <source>Checking…</source>
            <translation>正在验证……</translation>
        </message>
        <message>
            <source>The database cannot be reached. Check the network and try again.</source>
            <translation>无法连接数据库，请检查网络后重试。</translation>
        </message>
    </context>
    <context>
        <name>MainMenus</name>
        <message>
            <source>&amp;File</source>
            <translation>文件(&amp;F)</translation>
        </message>
        <message>
            <source>&amp;Settings…</source>
            <translation>设置(&amp;S)……</translation>
        </message>
        <message>
            <source>&amp;Quit</source>
            <translation>退出(&amp;Q)</translation>
        </message>
        <message>
            <source>&amp;View</source>
            <translation>查看(&amp;V)</translation>
        </message>
        <message>
            <source>Demo: decide requests automatically</source>
            <translation>演示：自动审核申请</translation>
        </message>
        <message>
            <source>The demo's job service, running inside this console, decides new requests by the hospital's rules</source>
            <translation>演示用的后台服务在本程序内运行，按医院的规则审核新的预约申请</translation>
        </message>
        <message>
            <source>&amp;Help</source>
            <translation>帮助(&amp;H)</translation>
        </message>
        <message>
            <source>Keyboard shortcuts</source>
            <translation>快捷键</translation>
        </message>
    </context>
    <context>
        <name>MainWindow</name>
        <message>
            <source> (demo)</source>
            <translation>（演示）</translation>
        </message>
        <message>
            <source>Registration desk</source>
            <translation>挂号窗口</translation>
        </message>
        <message>
            <source>Requests</source>
            <translation>预约审核</translation>
        </message>
        <message>
            <source>Day list</source>
            <translation>今日就诊</translation>
        </message>
        <message>
            <source>Rosters</source>
            <translation>排班</translation>
        </message>
        <message>
            <source>Notifications</source>
            <translation>通知</translation>
        </message>
        <message>
            <source>WeChat</source>
            <translation>微信设置</translation>
        </message>
        <message>
            <source>Administration</source>
            <translation>管理</translation>
        </message>
    </context>
    <context>
        <name>MessageBar</name>
        <message>
            <source>Close</source>
            <translation>关闭</translation>
        </message>
    </context>
    <context>
        <name>NewBelowButton</name>
        <message numerus="yes">
            <source>↓ %n new request(s) below</source>
            <translation>
                <numerusform>↓ 下方有 %n 条新申请</numerusform>
            </translation>
        </message>
    </context>
    <context>
        <name>NotificationFailuresPage</name>
        <message>
            <source>Send again</source>
            <translation>重发</translation>
        </message>
        <message>
            <source>Queue the selected messages for another attempt</source>
            <translation>将选中的消息重新排队发送</translation>
        </message>
        <message>
            <source>Refresh</source>
            <translation>刷新</translation>
        </message>
        <message>
            <source>Queued at</source>
            <translation>入队时间</translation>
        </message>
        <message>
            <source>Patient</source>
            <translation>患者</translation>
        </message>
        <message>
            <source>Department</source>
            <translation>科室</translation>
        </message>
        <message>
            <source>Visit</source>
            <translation>就诊时间</translation>
        </message>
        <message>
            <source>Message</source>
            <translation>通知</translation>
        </message>
        <message>
            <source>State</source>
            <translation>状态</translation>
        </message>
        <message>
            <source>Attempts</source>
            <translation>尝试次数</translation>
        </message>
        <message>
            <source>Reason</source>
            <translation>原因</translation>
        </message>
        <message>
            <source>{n} message(s) not delivered</source>
            <translation>{n} 条消息未送达</translation>
        </message>
    </context>
    <context>
        <name>PasswordDialog</name>
        <message>
            <source>Reset password of {user}</source>
            <translation>重置 {user} 的密码</translation>
        </message>
        <message>
            <source>New password</source>
            <translation>新密码</translation>
        </message>
        <message>
            <source>Repeat password</source>
            <translation>确认密码</translation>
        </message>
        <message>
            <source>The two passwords differ.</source>
            <translation>两次输入的密码不一致。</translation>
        </message>
    </context>
    <context>
        <name>PatientChooser</name>
        <message>
            <source>2. Patient</source>
            <translation>2. 患者</translation>
        </message>
        <message>
            <source>Name, phone (or its last 4 digits) or ID card</source>
            <translation>姓名、电话（或后4位）或身份证号</translation>
        </message>
        <message>
            <source>New patient…</source>
            <translation>新患者……</translation>
        </message>
        <message>
            <source>YYYY-MM-DD (optional)</source>
            <translation>年-月-日（可不填）</translation>
        </message>
        <message>
            <source>optional; fills in the birth date</source>
            <translation>可不填；填写后自动得出出生日期</translation>
        </message>
        <message>
            <source>‹ Find a patient instead</source>
            <translation>‹ 改为查找已有患者</translation>
        </message>
        <message>
            <source>Name</source>
            <translation>姓名</translation>
        </message>
        <message>
            <source>Sex</source>
            <translation>性别</translation>
        </message>
        <message>
            <source>Phone</source>
            <translation>电话</translation>
        </message>
        <message>
            <source>Birth date</source>
            <translation>出生日期</translation>
        </message>
        <message>
            <source>ID card</source>
            <translation>身份证号</translation>
        </message>
        <message>
            <source>Nobody found. Register a new patient?</source>
            <translation>未找到患者。要登记新患者吗？</translation>
        </message>
        <message>
            <source>Birth date: use the form 1980-05-17.</source>
            <translation>出生日期格式：1980-05-17。</translation>
        </message>
        <message>
            <source>Patient: %1</source>
            <translation>患者：%1</translation>
        </message>
        <message>
            <source>A new patient will be registered.</source>
            <translation>将登记一位新患者。</translation>
        </message>
        <message>
            <source>No patient chosen yet.</source>
            <translation>尚未选择患者。</translation>
        </message>
    </context>
    <context>
        <name>PublishDialog</name>
        <message>
            <source>Publish</source>
            <translation>发布</translation>
        </message>
        <message>
            <source>Publish the roster of {department}</source>
            <translation>发布{department}排班</translation>
        </message>
        <message>
            <source>From</source>
            <translation>开始日期</translation>
        </message>
        <message>
            <source>To</source>
            <translation>结束日期</translation>
        </message>
        <message>
            <source>Sessions are created from the doctors' weekly templates. Sessions that already exist are left as they are, so publishing twice is safe.</source>
            <translation>按医生的每周排班模板生成出诊。已存在的出诊保持不变，重复发布不会重复生成。</translation>
        </message>
        <message>
            <source>Published: {created} new sessions with {slots} slots; {existing} already existed.</source>
            <translation>发布完成：新建 {created} 个出诊、{slots} 个号源时段；{existing} 个出诊已存在。</translation>
        </message>
        <message>
            <source>{n} draft sessions were published.</source>
            <translation>{n} 个草稿出诊已发布。</translation>
        </message>
        <message>
            <source>Not published ({n}):</source>
            <translation>未发布（{n} 个）：</translation>
        </message>
        <message>
            <source>Close</source>
            <translation>关闭</translation>
        </message>
    </context>
    <context>
        <name>QueuePage</name>
        <message>
            <source>Requests to review</source>
            <translation>预约审核</translation>
        </message>
        <message>
            <source>Search name, phone, doctor… (Ctrl+F)</source>
            <translation>搜索姓名、电话、医生 (Ctrl+F)</translation>
        </message>
        <message>
            <source>All requests</source>
            <translation>全部申请</translation>
        </message>
        <message>
            <source>To decide</source>
            <translation>需审核</translation>
        </message>
        <message>
            <source>Waitlist</source>
            <translation>候补</translation>
        </message>
        <message>
            <source>Requests on the waitlist wait for a freed place; the job service confirms them in turn</source>
            <translation>候补中的申请等待有号释放，由后台服务按先后顺序自动预约成功</translation>
        </message>
        <message>
            <source>Approve (A)</source>
            <translation>通过 (A)</translation>
        </message>
        <message>
            <source>Approve the selected requests (A or Ctrl+Enter)</source>
            <translation>通过选中的申请（A 或 Ctrl+Enter）</translation>
        </message>
        <message>
            <source>Reject… (R)</source>
            <translation>拒绝… (R)</translation>
        </message>
        <message>
            <source>Reject the selected requests with a reason (R)</source>
            <translation>拒绝选中的申请并填写原因（R）</translation>
        </message>
        <message>
            <source>Refresh</source>
            <translation>刷新</translation>
        </message>
        <message>
            <source>Reload the queue from the database (F5)</source>
            <translation>从数据库重新读取（F5）</translation>
        </message>
        <message>
            <source>No requests waiting. New ones appear here by themselves.</source>
            <translation>暂无待审核的申请。新申请会自动出现在这里。</translation>
        </message>
        <message numerus="yes">
            <source>%n waiting</source>
            <translation>
                <numerusform>%n 条待审核</numerusform>
            </translation>
        </message>
        <message numerus="yes">
            <source>%n on the waitlist</source>
            <translation>
                <numerusform>%n 人候补中</numerusform>
            </translation>
        </message>
        <message numerus="yes">
            <source>%n marked</source>
            <translation>
                <numerusform>已标记 %n 条</numerusform>
            </translation>
        </message>
        <message numerus="yes">
            <source>(%n hidden by the search)</source>
            <translation>
                <numerusform>（其中 %n 条被搜索隐藏，不会处理）</numerusform>
            </translation>
        </message>
        <message numerus="yes">
            <source>Approve %n marked (A)</source>
            <translation>
                <numerusform>通过已标记的 %n 条 (A)</numerusform>
            </translation>
        </message>
        <message numerus="yes">
            <source>Reject %n marked… (R)</source>
            <translation>
                <numerusform>拒绝已标记的 %n 条… (R)</numerusform>
            </translation>
        </message>
        <message numerus="yes">
            <source>Approve %n (A)</source>
            <translation>
                <numerusform>通过 %n 条 (A)</numerusform>
            </translation>
        </message>
        <message>
            <source>Nothing is selected: choose a request first (J/K or the arrows; Space marks several).</source>
            <translation>未选中任何申请：请先用 J/K 或方向键选中一条（空格可标记多条）。</translation>
        </message>
        <message>
            <source>Please confirm</source>
            <translation>请确认</translation>
        </message>
        <message numerus="yes">
            <source>Approve %n request(s)? Each patient is notified.</source>
            <translation>
                <numerusform>通过以下 %n 条申请？每位患者都会收到通知。</numerusform>
            </translation>
        </message>
        <message>
            <source>Not approved, the rules refuse them:</source>
            <translation>以下申请不符合预约规则，未通过：</translation>
        </message>
        <message numerus="yes">
            <source>… and %n more</source>
            <translation>
                <numerusform>……另有 %n 条</numerusform>
            </translation>
        </message>
        <message numerus="yes">
            <source>Reject %n request(s):</source>
            <translation>
                <numerusform>拒绝以下 %n 条申请：</numerusform>
            </translation>
        </message>
        <message>
            <source>Choose the reason the patient will read:</source>
            <translation>请选择患者将看到的拒绝原因：</translation>
        </message>
        <message numerus="yes">
            <source>Reject %n request(s)</source>
            <translation>
                <numerusform>拒绝 %n 条申请</numerusform>
            </translation>
        </message>
        <message>
            <source>Back</source>
            <translation>返回</translation>
        </message>
        <message>
            <source>Reject requests</source>
            <translation>拒绝申请</translation>
        </message>
        <message numerus="yes">
            <source>Approved %n request(s).</source>
            <translation>
                <numerusform>已通过 %n 条申请。</numerusform>
            </translation>
        </message>
        <message numerus="yes">
            <source>%n had no place left and were marked full.</source>
            <translation>
                <numerusform>%n 条因号源已满被标记为“预约已满”。</numerusform>
            </translation>
        </message>
        <message numerus="yes">
            <source>Rejected %n request(s).</source>
            <translation>
                <numerusform>已拒绝 %n 条申请。</numerusform>
            </translation>
        </message>
        <message numerus="yes">
            <source>Not saved: %n request(s) — the database could not be reached. They stay in the queue; try again when the connection is back.</source>
            <translation>
                <numerusform>未保存：%n 条申请——无法连接数据库。它们仍在列表中，连接恢复后请重试。</numerusform>
            </translation>
        </message>
    </context>
    <context>
        <name>ReasonDialog</name>
        <message>
            <source>Details or another reason (the patient reads this):</source>
            <translation>补充说明或其他原因（患者可见）：</translation>
        </message>
        <message>
            <source>Optional when a reason is picked above</source>
            <translation>已选择上方原因时可不填</translation>
        </message>
    </context>
    <context>
        <name>RequestNotices</name>
        <message>
            <source>Requests</source>
            <translation>预约审核</translation>
        </message>
        <message numerus="yes">
            <source>regdesk: %n request(s) waiting</source>
            <translation>
                <numerusform>regdesk：%n 条申请待审核</numerusform>
            </translation>
        </message>
        <message numerus="yes">
            <source>%n new request(s)</source>
            <translation>
                <numerusform>%n 条新申请</numerusform>
            </translation>
        </message>
        <message>
            <source>New booking requests</source>
            <translation>新的预约申请</translation>
        </message>
        <message numerus="yes">
            <source>%n new request(s) to review</source>
            <translation>
                <numerusform>%n 条新申请待审核</numerusform>
            </translation>
        </message>
    </context>
    <context>
        <name>RosterDialogs</name>
        <message>
            <source>No patient holds a booking for this session; nobody needs to be told.</source>
            <translation>本次出诊没有患者预约，无需通知患者。</translation>
        </message>
        <message>
            <source>{n} patient(s) holding a booking will be told by a WeChat message, queued when you confirm.</source>
            <translation>{n} 位已预约患者将收到微信通知，确认后加入发送队列。</translation>
        </message>
    </context>
    <context>
        <name>RosterGridModel</name>
        <message>
            <source>Doctor</source>
            <translation>医生</translation>
        </message>
        <message>
            <source>Stopped</source>
            <translation>停诊</translation>
        </message>
        <message>
            <source>Sub for {name}</source>
            <translation>替{name}</translation>
        </message>
        <message>
            <source>Draft</source>
            <translation>草稿</translation>
        </message>
        <message>
            <source>Places taken: {taken} of {capacity}</source>
            <translation>已约 {taken} / 共 {capacity} 个号</translation>
        </message>
        <message>
            <source>Stopped (停诊)</source>
            <translation>已停诊</translation>
        </message>
        <message>
            <source>Not published</source>
            <translation>未发布</translation>
        </message>
        <message>
            <source>Substituting for {name}</source>
            <translation>替 {name} 出诊</translation>
        </message>
        <message>
            <source>Desk {pct}%</source>
            <translation>现场{pct}%</translation>
        </message>
        <message>
            <source>Waitlist {n}</source>
            <translation>候补{n}</translation>
        </message>
        <message>
            <source>Desk share (现场号): none kept</source>
            <translation>现场号：不保留</translation>
        </message>
        <message>
            <source> (this session's own setting)</source>
            <translation>（本次出诊单独设置）</translation>
        </message>
        <message>
            <source>Desk share (现场号): {pct}% of each slot</source>
            <translation>现场号：每个时段保留 {pct}%</translation>
        </message>
        <message>
            <source> (the department's)</source>
            <translation>（沿用科室设置）</translation>
        </message>
        <message>
            <source>Its unused places are open to online requests now</source>
            <translation>未用完的现场号已开放网上预约</translation>
        </message>
        <message>
            <source>On the waitlist (候补): {n} request(s)</source>
            <translation>候补：{n} 个申请</translation>
        </message>
    </context>
    <context>
        <name>RosterPage</name>
        <message>
            <source>◀ Previous week</source>
            <translation>◀ 上一周</translation>
        </message>
        <message>
            <source>This week</source>
            <translation>本周</translation>
        </message>
        <message>
            <source>Next week ▶</source>
            <translation>下一周 ▶</translation>
        </message>
        <message>
            <source>Department</source>
            <translation>科室</translation>
        </message>
        <message>
            <source>Doctor's templates…</source>
            <translation>医生排班模板…</translation>
        </message>
        <message>
            <source>Publish…</source>
            <translation>发布排班…</translation>
        </message>
        <message>
            <source>Change session…</source>
            <translation>修改出诊…</translation>
        </message>
        <message>
            <source>Substitute…</source>
            <translation>替诊…</translation>
        </message>
        <message>
            <source>Stop session (停诊)…</source>
            <translation>停诊…</translation>
        </message>
        <message>
            <source>Extra places (加号)…</source>
            <translation>加号…</translation>
        </message>
        <message>
            <source>Refresh</source>
            <translation>刷新</translation>
        </message>
        <message>
            <source>Published</source>
            <translation>已发布</translation>
        </message>
        <message>
            <source>Full</source>
            <translation>已满</translation>
        </message>
        <message>
            <source>Substitute</source>
            <translation>替诊</translation>
        </message>
        <message>
            <source>Stopped</source>
            <translation>停诊</translation>
        </message>
        <message>
            <source>Not published</source>
            <translation>未发布</translation>
        </message>
        <message>
            <source>Cells show places taken / places in all, the desk's share and the waitlist. Days: 休 off, 班 worked (调休), 停 closed, 例 exception.</source>
            <translation>格内为 已约/总号源、现场号比例与候补人数。日期：休 休息，班 调休上班，停 停诊，例 医院例外。</translation>
        </message>
        <message>
            <source>Double-click a session to change it.</source>
            <translation>双击出诊可修改。</translation>
        </message>
        <message>
            <source>No department to show.</source>
            <translation>没有可显示的科室。</translation>
        </message>
        <message>
            <source>Week {week} of {year}: {start} – {end}</source>
            <translation>{year} 年第 {week} 周：{start} 至 {end}</translation>
        </message>
        <message>
            <source>No doctor in this department has sessions or templates.</source>
            <translation>该科室本周没有医生出诊。</translation>
        </message>
        <message>
            <source>Select a session in the grid first</source>
            <translation>请先在表格中选中一个出诊</translation>
        </message>
        <message>
            <source>This session is stopped (停诊): it cannot be changed</source>
            <translation>该出诊已停诊，不能再修改</translation>
        </message>
        <message>
            <source>Select a doctor's row first</source>
            <translation>请先选中一位医生所在的行</translation>
        </message>
        <message>
            <source>Choose a department first</source>
            <translation>请先选择科室</translation>
        </message>
        <message>
            <source>Not in the departments you are responsible for</source>
            <translation>不在您负责的科室</translation>
        </message>
        <message>
            <source>Session changed; {n} WeChat message(s) queued.</source>
            <translation>出诊已修改；{n} 条微信通知已加入发送队列。</translation>
        </message>
        <message>
            <source>Session changed.</source>
            <translation>出诊已修改。</translation>
        </message>
        <message>
            <source>Session stopped: {bookings} bookings stopped, {notified} WeChat messages queued.</source>
            <translation>已停诊：{bookings} 个预约已停止，{notified} 条微信通知已加入发送队列。</translation>
        </message>
        <message>
            <source>{doctor} now takes the session; {n} WeChat message(s) queued.</source>
            <translation>现由 {doctor} 出诊；{n} 条微信通知已加入发送队列。</translation>
        </message>
    </context>
    <context>
        <name>RuleDialog</name>
        <message>
            <source>The booking rules refuse this request</source>
            <translation>该申请不符合预约规则</translation>
        </message>
        <message>
            <source>Not approved: %1</source>
            <translation>未通过：%1</translation>
        </message>
        <message>
            <source>Why this request is approved anyway (recorded)</source>
            <translation>越过规则通过的理由（将记入操作记录）</translation>
        </message>
        <message>
            <source>You may approve it anyway. The reason is recorded with the rule:</source>
            <translation>您可以越过该规则通过，理由将与规则一并记录：</translation>
        </message>
        <message>
            <source>Only a department head or an administrator may approve it past this rule.</source>
            <translation>只有科主任或管理员可以越过该规则通过。</translation>
        </message>
        <message>
            <source>Nobody can approve a request for this session.</source>
            <translation>该门诊的申请任何人都不能通过。</translation>
        </message>
        <message>
            <source>You may reject it; the patient then reads the rule's words.</source>
            <translation>您可以拒绝，患者将看到上述规则原因。</translation>
        </message>
        <message>
            <source>Reject with this reason</source>
            <translation>以此原因拒绝</translation>
        </message>
        <message>
            <source>Approve anyway</source>
            <translation>越过规则通过</translation>
        </message>
        <message>
            <source>Back</source>
            <translation>返回</translation>
        </message>
    </context>
    <context>
        <name>RulesTab</name>
        <message>
            <source>On</source>
            <translation>开启</translation>
        </message>
        <message>
            <source>HH:MM</source>
            <translation>HH:MM</translation>
        </message>
        <message>
            <source>Save rules</source>
            <translation>保存规则</translation>
        </message>
        <message>
            <source>Undo changes</source>
            <translation>撤销修改</translation>
        </message>
        <message>
            <source>Nothing changed.</source>
            <translation>没有改动。</translation>
        </message>
        <message>
            <source>Rules saved.</source>
            <translation>规则已保存。</translation>
        </message>
    </context>
    <context>
        <name>SessionDialog</name>
        <message>
            <source>Change session</source>
            <translation>修改出诊</translation>
        </message>
        <message>
            <source>Loading…</source>
            <translation>正在读取…</translation>
        </message>
        <message>
            <source>Hours</source>
            <translation>出诊时间</translation>
        </message>
        <message>
            <source>Note</source>
            <translation>备注</translation>
        </message>
        <message>
            <source>Its own</source>
            <translation>单独设置</translation>
        </message>
        <message>
            <source>Desk share</source>
            <translation>现场号比例</translation>
        </message>
        <message>
            <source>Time</source>
            <translation>时段</translation>
        </message>
        <message>
            <source>Taken</source>
            <translation>已约</translation>
        </message>
        <message>
            <source>Places</source>
            <translation>号源</translation>
        </message>
        <message>
            <source>Set every slot</source>
            <translation>应用到所有时段</translation>
        </message>
        <message>
            <source>Places per slot</source>
            <translation>每时段号源</translation>
        </message>
        <message>
            <source>else its department's: {share}</source>
            <translation>否则沿用科室：{share}</translation>
        </message>
        <message>
            <source>If the hours change: </source>
            <translation>如修改出诊时间：</translation>
        </message>
        <message>
            <source>This session is stopped and cannot be changed.</source>
            <translation>该出诊已停诊，不能修改。</translation>
        </message>
    </context>
    <context>
        <name>SettingsDialog</name>
        <message>
            <source>Settings</source>
            <translation>设置</translation>
        </message>
        <message>
            <source>Interface language</source>
            <translation>界面语言</translation>
        </message>
        <message>
            <source>A change of language takes effect when regdesk is next started.</source>
            <translation>更改界面语言后，下次启动 regdesk 时生效。</translation>
        </message>
        <message>
            <source>Tell me about new requests when the window is in the background</source>
            <translation>窗口在后台时提醒新的预约申请</translation>
        </message>
        <message>
            <source>Play a sound when new requests arrive</source>
            <translation>有新申请时发出提示音</translation>
        </message>
    </context>
    <context>
        <name>ShareDialog</name>
        <message>
            <source>Desk share of {name}</source>
            <translation>{name} 的现场号比例</translation>
        </message>
        <message>
            <source>The share of each slot's places kept for walk-ins at the desk (现场号). Online requests take only the rest until the cut-off in the booking rules; a session may keep its own share (the session dialog).</source>
            <translation>每个时段为窗口现场挂号保留的号源比例（现场号）。在预约规则中的开放时间之前，网上预约只能使用其余的号；单次出诊可单独设置（在“修改出诊”中）。</translation>
        </message>
        <message>
            <source>Keep places for the desk</source>
            <translation>保留现场号</translation>
        </message>
    </context>
    <context>
        <name>ShareField</name>
        <message>
            <source>None kept</source>
            <translation>不保留</translation>
        </message>
    </context>
    <context>
        <name>SharesTab</name>
        <message>
            <source>Set desk share…</source>
            <translation>设置现场号比例…</translation>
        </message>
        <message>
            <source>A session may keep its own share: change it in the roster's session dialog.</source>
            <translation>单次出诊可单独设置比例：在排班的“修改出诊”中修改。</translation>
        </message>
        <message>
            <source>Code</source>
            <translation>代码</translation>
        </message>
        <message>
            <source>Name</source>
            <translation>名称</translation>
        </message>
        <message>
            <source>Desk share (现场号)</source>
            <translation>现场号比例</translation>
        </message>
        <message>
            <source>Status</source>
            <translation>状态</translation>
        </message>
    </context>
    <context>
        <name>StaffDialog</name>
        <message>
            <source>Edit staff account</source>
            <translation>编辑员工账号</translation>
        </message>
        <message>
            <source>New staff account</source>
            <translation>新建员工账号</translation>
        </message>
        <message>
            <source>User name</source>
            <translation>用户名</translation>
        </message>
        <message>
            <source>Full name</source>
            <translation>姓名</translation>
        </message>
        <message>
            <source>Role</source>
            <translation>角色</translation>
        </message>
        <message>
            <source>Password</source>
            <translation>密码</translation>
        </message>
        <message>
            <source>Repeat password</source>
            <translation>确认密码</translation>
        </message>
        <message>
            <source>Departments</source>
            <translation>科室</translation>
        </message>
        <message>
            <source>The two passwords differ.</source>
            <translation>两次输入的密码不一致。</translation>
        </message>
    </context>
    <context>
        <name>StaffTab</name>
        <message>
            <source>Add…</source>
            <translation>添加…</translation>
        </message>
        <message>
            <source>Role and departments…</source>
            <translation>角色和科室…</translation>
        </message>
        <message>
            <source>Reset password…</source>
            <translation>重置密码…</translation>
        </message>
        <message>
            <source>Unlock</source>
            <translation>解锁</translation>
        </message>
        <message>
            <source>Deactivate / activate</source>
            <translation>停用 / 启用</translation>
        </message>
        <message>
            <source>User name</source>
            <translation>用户名</translation>
        </message>
        <message>
            <source>Full name</source>
            <translation>姓名</translation>
        </message>
        <message>
            <source>Role</source>
            <translation>角色</translation>
        </message>
        <message>
            <source>Departments</source>
            <translation>科室</translation>
        </message>
        <message>
            <source>Status</source>
            <translation>状态</translation>
        </message>
        <message>
            <source>Last log-in</source>
            <translation>最近登录</translation>
        </message>
        <message>
            <source>Inactive</source>
            <translation>已停用</translation>
        </message>
        <message>
            <source>Log-in delayed until {time}</source>
            <translation>登录须等待至 {time}</translation>
        </message>
        <message>
            <source>Active</source>
            <translation>启用</translation>
        </message>
        <message>
            <source>The password of {user} was changed.</source>
            <translation>{user} 的密码已重置。</translation>
        </message>
        <message>
            <source>Account {user} unlocked.</source>
            <translation>账号 {user} 已解锁。</translation>
        </message>
        <message>
            <source>Account {user} deactivated.</source>
            <translation>账号 {user} 已停用。</translation>
        </message>
        <message>
            <source>Account {user} activated.</source>
            <translation>账号 {user} 已启用。</translation>
        </message>
    </context>
    <context>
        <name>StartupDialog</name>
        <message>
            <source>Retry</source>
            <translation>重试</translation>
        </message>
        <message>
            <source>Quit</source>
            <translation>退出</translation>
        </message>
        <message>
            <source>Connecting to the database…</source>
            <translation>正在连接数据库……</translation>
        </message>
        <message>
            <source>This database was set up by a newer version of regdesk. Install the newer regdesk on this PC.</source>
            <translation>该数据库由更新版本的 regdesk 创建，请在本机安装新版本的 regdesk。</translation>
        </message>
        <message>
            <source>This database needs an upgrade before regdesk can use it. Ask the administrator to run: regdesk db upgrade</source>
            <translation>该数据库需要升级后才能使用，请联系管理员运行：regdesk db upgrade</translation>
        </message>
        <message>
            <source>The database cannot be reached. Check the network or the database server, then press Retry.</source>
            <translation>无法连接数据库。请检查网络或数据库服务器，然后点击“重试”。</translation>
        </message>
        <message>
            <source>The database cannot be opened.</source>
            <translation>无法打开数据库。</translation>
        </message>
    </context>
    <context>
        <name>StopDialog</name>
        <message>
            <source>Stop session</source>
            <translation>确认停诊</translation>
        </message>
        <message>
            <source>Stop session (停诊)</source>
            <translation>停诊</translation>
        </message>
        <message>
            <source>{n} patients hold a booking or a request for this session. A WeChat message saying it is stopped, with the reason below, is queued for each of them.</source>
            <translation>该出诊有 {n} 位患者已预约或正在申请。确认后将为每位患者加入一条停诊微信通知（附下面的原因）。</translation>
        </message>
        <message>
            <source>No patient holds a booking for this session; nobody needs to be told.</source>
            <translation>本次出诊没有患者预约，无需通知患者。</translation>
        </message>
        <message>
            <source>Doctor is ill</source>
            <translation>医生因病停诊</translation>
        </message>
        <message>
            <source>Doctor called away to an emergency</source>
            <translation>医生临时急诊任务</translation>
        </message>
        <message>
            <source>Doctor at a meeting or training</source>
            <translation>医生外出开会或培训</translation>
        </message>
        <message>
            <source>Hospital arrangement</source>
            <translation>医院工作安排调整</translation>
        </message>
        <message>
            <source>Other</source>
            <translation>其他</translation>
        </message>
        <message>
            <source>More about the reason (sent to the patients)</source>
            <translation>补充说明（将发送给患者）</translation>
        </message>
        <message>
            <source>Reason</source>
            <translation>停诊原因</translation>
        </message>
        <message>
            <source>Details</source>
            <translation>补充说明</translation>
        </message>
        <message>
            <source>Please write the reason; the patients will read it.</source>
            <translation>请填写停诊原因，患者会看到。</translation>
        </message>
    </context>
    <context>
        <name>SubstituteDialog</name>
        <message>
            <source>Substitute</source>
            <translation>确认替诊</translation>
        </message>
        <message>
            <source>Substitute doctor (替诊)</source>
            <translation>替诊</translation>
        </message>
        <message>
            <source>optional; shown with the session</source>
            <translation>可不填；显示在出诊信息中</translation>
        </message>
        <message>
            <source>Rostered doctor</source>
            <translation>原排班医生</translation>
        </message>
        <message>
            <source>New doctor</source>
            <translation>替诊医生</translation>
        </message>
        <message>
            <source>Note</source>
            <translation>备注</translation>
        </message>
        <message>
            <source>No other active doctor in this department.</source>
            <translation>该科室没有其他在岗医生。</translation>
        </message>
        <message>
            <source>Choose the doctor who takes the session.</source>
            <translation>请选择替诊医生。</translation>
        </message>
    </context>
    <context>
        <name>TemplatesDialog</name>
        <message>
            <source>Weekly templates of {name}</source>
            <translation>{name} 的每周排班模板</translation>
        </message>
        <message>
            <source>Weekday</source>
            <translation>星期</translation>
        </message>
        <message>
            <source>Period</source>
            <translation>时段</translation>
        </message>
        <message>
            <source>Hours</source>
            <translation>出诊时间</translation>
        </message>
        <message>
            <source>Slot minutes</source>
            <translation>每段分钟</translation>
        </message>
        <message>
            <source>Places per slot</source>
            <translation>每时段号源</translation>
        </message>
        <message>
            <source>Places in all</source>
            <translation>总号源</translation>
        </message>
        <message>
            <source>Status</source>
            <translation>状态</translation>
        </message>
        <message>
            <source>Active</source>
            <translation>启用</translation>
        </message>
        <message>
            <source>Paused</source>
            <translation>暂停</translation>
        </message>
        <message>
            <source> min</source>
            <translation> 分钟</translation>
        </message>
        <message>
            <source>Active (used when publishing)</source>
            <translation>启用（发布排班时使用）</translation>
        </message>
        <message>
            <source>Slot length</source>
            <translation>每段时长</translation>
        </message>
        <message>
            <source>New</source>
            <translation>新建</translation>
        </message>
        <message>
            <source>Save template</source>
            <translation>保存模板</translation>
        </message>
        <message>
            <source>Delete…</source>
            <translation>删除…</translation>
        </message>
        <message>
            <source>New template</source>
            <translation>新建模板</translation>
        </message>
        <message>
            <source>Changing {weekday} {period}</source>
            <translation>正在修改：{weekday} {period}</translation>
        </message>
        <message>
            <source>Template saved: {weekday} {period}.</source>
            <translation>模板已保存：{weekday} {period}。</translation>
        </message>
        <message>
            <source>Delete template</source>
            <translation>删除模板</translation>
        </message>
        <message>
            <source>Delete the template {weekday} {period} {hours}? Sessions already published stay as they are.</source>
            <translation>删除模板 {weekday} {period} {hours}？已发布的出诊不受影响。</translation>
        </message>
        <message>
            <source>Template deleted.</source>
            <translation>模板已删除。</translation>
        </message>
    </context>
    <context>
        <name>WalkInDialog</name>
        <message>
            <source>Walk-in booking</source>
            <translation>现场挂号</translation>
        </message>
        <message>
            <source>1. Where</source>
            <translation>1. 就诊科室与时段</translation>
        </message>
        <message>
            <source>Day</source>
            <translation>日期</translation>
        </message>
        <message>
            <source>Department</source>
            <translation>科室</translation>
        </message>
        <message>
            <source>Doctor</source>
            <translation>医生</translation>
        </message>
        <message>
            <source>Session</source>
            <translation>门诊</translation>
        </message>
        <message>
            <source>Time</source>
            <translation>时段</translation>
        </message>
        <message>
            <source>Book</source>
            <translation>挂号</translation>
        </message>
        <message>
            <source>Any doctor</source>
            <translation>不限医生</translation>
        </message>
        <message>
            <source>%1 left</source>
            <translation>余 %1</translation>
        </message>
        <message>
            <source>No published sessions on this day.</source>
            <translation>当天没有已发布的门诊。</translation>
        </message>
        <message>
            <source>over</source>
            <translation>已结束</translation>
        </message>
        <message>
            <source>%1 of %2 left</source>
            <translation>余 %1/%2</translation>
        </message>
        <message>
            <source> · desk %1</source>
            <translation> · 现场号余 %1</translation>
        </message>
        <message>
            <source>%1 is full now (someone else took the last place). Nothing was booked.</source>
            <translation>%1 已满（最后一个号刚被他人约走），未挂号。</translation>
        </message>
        <message>
            <source>Take %1 instead</source>
            <translation>改选 %1</translation>
        </message>
        <message>
            <source>%1 is full now and this session has no free time left. Nothing was booked.</source>
            <translation>%1 已满，本场门诊已无空号，未挂号。</translation>
        </message>
    </context>
    <context>
        <name>WeChatSettingsPage</name>
        <message>
            <source>AppID</source>
            <translation>AppID</translation>
        </message>
        <message>
            <source>AppSecret</source>
            <translation>AppSecret</translation>
        </message>
        <message>
            <source>Template ID</source>
            <translation>模板 ID</translation>
        </message>
        <message>
            <source>API address</source>
            <translation>接口地址</translation>
        </message>
        <message>
            <source>Page opened by the message</source>
            <translation>消息跳转页面</translation>
        </message>
        <message>
            <source>Mini-program version</source>
            <translation>小程序版本</translation>
        </message>
        <message>
            <source>Language</source>
            <translation>语言</translation>
        </message>
        <message>
            <source>Field map</source>
            <translation>字段映射</translation>
        </message>
        <message>
            <source>One line per template field: field = value. Values: </source>
            <translation>每行一个模板字段：字段 = 取值。可用取值：</translation>
        </message>
        <message>
            <source>Save</source>
            <translation>保存</translation>
        </message>
        <message>
            <source>Test message</source>
            <translation>测试消息</translation>
        </message>
        <message>
            <source>openid of the WeChat user who receives the test</source>
            <translation>接收测试消息的微信用户 openid</translation>
        </message>
        <message>
            <source>Send a test message</source>
            <translation>发送测试消息</translation>
        </message>
        <message>
            <source>Released version (formal)</source>
            <translation>正式版（formal）</translation>
        </message>
        <message>
            <source>Trial version (trial)</source>
            <translation>体验版（trial）</translation>
        </message>
        <message>
            <source>Developer version (developer)</source>
            <translation>开发版（developer）</translation>
        </message>
        <message>
            <source>Simplified Chinese</source>
            <translation>简体中文</translation>
        </message>
        <message>
            <source>English</source>
            <translation>英文</translation>
        </message>
        <message>
            <source>Traditional Chinese (Hong Kong)</source>
            <translation>繁体中文（香港）</translation>
        </message>
        <message>
            <source>Traditional Chinese (Taiwan)</source>
            <translation>繁体中文（台湾）</translation>
        </message>
        <message>
            <source>the new AppSecret</source>
            <translation>新的 AppSecret</translation>
        </message>
        <message>
            <source>Replace…</source>
            <translation>更换…</translation>
        </message>
        <message>
            <source>Keep the saved one</source>
            <translation>保留已保存的</translation>
        </message>
        <message>
            <source>Set</source>
            <translation>已设置</translation>
        </message>
        <message>
            <source>Not set</source>
            <translation>未设置</translation>
        </message>
        <message>
            <source>from {source}; change it there</source>
            <translation>来自{source}，请在那里修改</translation>
        </message>
        <message>
            <source>Field map line without '=': {line}</source>
            <translation>字段映射缺少“=”：{line}</translation>
        </message>
        <message>
            <source>Nothing changed.</source>
            <translation>没有改动。</translation>
        </message>
        <message>
            <source>WeChat settings saved.</source>
            <translation>微信设置已保存。</translation>
        </message>
        <message>
            <source>Sending…</source>
            <translation>正在发送…</translation>
        </message>
        <message>
            <source>Test message sent. Check the phone of that WeChat user.</source>
            <translation>测试消息已发送，请在该微信用户的手机上查看。</translation>
        </message>
    </context>
    <context>
        <name>_ExportDialog</name>
        <message>
            <source>Export</source>
            <translation>导出</translation>
        </message>
        <message>
            <source>All my departments</source>
            <translation>全部（我负责的）科室</translation>
        </message>
        <message>
            <source>Open the folder when done</source>
            <translation>完成后打开所在文件夹</translation>
        </message>
        <message>
            <source>Choose where to save the file.</source>
            <translation>请选择保存位置。</translation>
        </message>
        <message>
            <source>The folder does not exist: {folder}</source>
            <translation>文件夹不存在：{folder}</translation>
        </message>
        <message>
            <source>Save as</source>
            <translation>另存为</translation>
        </message>
        <message>
            <source>Excel workbook (*.xlsx)</source>
            <translation>Excel 工作簿 (*.xlsx)</translation>
        </message>
        <message>
            <source>The folder could not be opened (no file manager on this computer). The file is at: {path}</source>
            <translation>无法打开文件夹（本机没有文件管理器）。文件保存在：{path}</translation>
        </message>
    </context>
    <context>
        <name>_FileDialogBase</name>
        <message>
            <source>Browse…</source>
            <translation>浏览…</translation>
        </message>
        <message>
            <source>Close</source>
            <translation>关闭</translation>
        </message>
    </context>
</TS>
